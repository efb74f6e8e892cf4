// The names a public header declares, found by a small tokenizer: enough C++ for headers
// written in this project's style (not a compiler). Used by the API reference test.
//
// Collected: at namespace scope, types (class, struct, union, enum), aliases (using X =),
// functions, variables and constants; in the public part of a class or struct, its member
// functions (constructors, destructors and operators excepted); every #define. Skipped:
// namespace detail, function bodies, enumerators, data members, template parameter lists,
// friend declarations, out-of-class definitions (Var<T>::value).
#pragma once

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

namespace simdgrad::testing {

inline std::vector<std::string> tokenize(const std::string& text, std::set<std::string>* macros) {
  std::vector<std::string> tokens;
  size_t i = 0;
  const size_t n = text.size();
  bool line_start = true;
  while (i < n) {
    const char c = text[i];
    if (c == '\n') {
      line_start = true;
      ++i;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (c == '#' && line_start) {  // a preprocessor line: note #defines, skip the rest
      size_t end = text.find('\n', i);
      if (end == std::string::npos) end = n;
      const std::string line = text.substr(i, end - i);
      const std::string define = "#define ";
      if (line.rfind(define, 0) == 0) {
        size_t s = define.size(), e = s;
        while (e < line.size() &&
               (std::isalnum(static_cast<unsigned char>(line[e])) || line[e] == '_'))
          ++e;
        macros->insert(line.substr(s, e - s));
      }
      i = end;
      continue;
    }
    line_start = false;
    if (c == '/' && i + 1 < n && text[i + 1] == '/') {
      i = text.find('\n', i);
      if (i == std::string::npos) i = n;
      continue;
    }
    if (c == '/' && i + 1 < n && text[i + 1] == '*') {
      i = text.find("*/", i + 2);
      i = i == std::string::npos ? n : i + 2;
      continue;
    }
    if (c == '"' || c == '\'') {  // a literal: one placeholder token
      size_t j = i + 1;
      while (j < n && text[j] != c) j += text[j] == '\\' ? 2 : 1;
      tokens.push_back("\"\"");
      i = j + 1;
      continue;
    }
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < n && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_' ||
                       text[j] == '.'))
        ++j;
      tokens.push_back(text.substr(i, j - i));
      i = j;
      continue;
    }
    if (c == ':' && i + 1 < n && text[i + 1] == ':') {
      tokens.push_back("::");
      i += 2;
      continue;
    }
    tokens.push_back(std::string(1, c));
    ++i;
  }
  return tokens;
}

inline bool is_identifier(const std::string& t) {
  return !t.empty() && (std::isalpha(static_cast<unsigned char>(t[0])) || t[0] == '_');
}

// The names `header_text` declares (see the file comment).
inline std::set<std::string> public_names(const std::string& header_text) {
  std::set<std::string> names;
  const std::vector<std::string> tokens = tokenize(header_text, &names);

  struct Frame {
    enum Kind { kNamespace, kClass, kSkip } kind;
    std::string name;  // the class's name, for spotting constructors
    bool is_public = true;
  };
  std::vector<Frame> frames;
  auto collecting = [&] {
    for (const Frame& f : frames) {
      if (f.kind == Frame::kSkip) return false;
      if (f.kind == Frame::kClass && !f.is_public) return false;
    }
    return true;
  };
  static const std::set<std::string> kTypeKeywords = {"class", "struct", "union", "enum"};
  static const std::set<std::string> kNotNames = {
      "static_assert", "decltype", "alignas", "noexcept",  "sizeof", "requires",
      "operator",      "explicit", "inline",  "constexpr", "static", "virtual",
      "const",         "return",   "if",      "template"};

  std::vector<std::string> statement;
  // Reads one statement (tokens up to ; or { at depth 0 of <> and ()) and names what it declares.
  // *type_kind: "" for no type, else the keyword (class, struct, union, enum).
  auto declared_name = [&](const std::vector<std::string>& s, bool in_class,
                           const std::string& class_name, std::string* type_kind) -> std::string {
    type_kind->clear();
    // Drop template<...> prefixes and every <...> argument list.
    std::vector<std::string> flat;
    int angle = 0;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s[k] == "template") continue;
      if (s[k] == "<") {
        ++angle;
        continue;
      }
      if (s[k] == ">") {
        if (angle > 0) --angle;
        continue;
      }
      if (angle == 0) flat.push_back(s[k]);
    }
    if (flat.empty() || flat[0] == "friend" || flat[0] == "public" || flat[0] == "private" ||
        flat[0] == "protected") {
      return "";
    }
    if (flat[0] == "using") {
      if (flat.size() >= 3 && flat[2] == "=" && !in_class) return flat[1];
      return "";
    }
    for (size_t k = 0; k + 1 < flat.size(); ++k) {
      if (flat[k] == "(" || flat[k] == "=") break;
      if (kTypeKeywords.count(flat[k])) {
        size_t m = k + 1;
        if (flat[m] == "class" || flat[m] == "struct") ++m;  // enum class
        if (m < flat.size() && is_identifier(flat[m])) {
          *type_kind = flat[k];
          return flat[m];
        }
      }
    }
    for (size_t k = 1; k < flat.size(); ++k) {
      // "=" before any "(": a variable (namespace scope) or a data member (class scope).
      if (flat[k] == "=") return !in_class && is_identifier(flat[k - 1]) ? flat[k - 1] : "";
      if (flat[k] != "(") continue;
      const std::string& name = flat[k - 1];
      if (!is_identifier(name) || kNotNames.count(name)) return "";
      if (k >= 2 && (flat[k - 2] == "::" || flat[k - 2] == "~" || flat[k - 2] == "operator"))
        return "";
      if (in_class && name == class_name) return "";
      return name;
    }
    return "";
  };

  int parentheses = 0;  // inside (), braces and semicolons belong to the statement: f(x = {})
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    if (t == "(") ++parentheses;
    if (t == ")" && parentheses > 0) --parentheses;
    if (parentheses > 0 && (t == "{" || t == "}" || t == ";")) {
      statement.push_back(t);
      continue;
    }
    if (t == "}") {
      if (!frames.empty()) frames.pop_back();
      statement.clear();
      continue;
    }
    if (!frames.empty() && frames.back().kind == Frame::kClass &&
        (t == "public" || t == "private" || t == "protected") && i + 1 < tokens.size() &&
        tokens[i + 1] == ":") {
      frames.back().is_public = t == "public";
      ++i;
      statement.clear();
      continue;
    }
    if (t != ";" && t != "{") {
      statement.push_back(t);
      continue;
    }
    const bool in_class = !frames.empty() && frames.back().kind == Frame::kClass;
    const std::string class_name = in_class ? frames.back().name : "";
    std::string type_kind;
    const std::string name = declared_name(statement, in_class, class_name, &type_kind);
    const bool collect = collecting() && !(!frames.empty() && frames.back().name == "detail");
    if (t == "{") {
      Frame frame{Frame::kSkip, "", true};
      if (!statement.empty() && statement[0] == "namespace") {
        frame.kind = Frame::kNamespace;
        frame.name = statement.size() > 1 ? statement.back() : "";
        // namespace a::b::detail: the last part decides
        if (frame.name == "detail" || !collect) frame.kind = Frame::kSkip;
      } else if (!type_kind.empty()) {
        frame.kind = type_kind == "enum" ? Frame::kSkip : Frame::kClass;
        frame.name = name;
        frame.is_public = type_kind != "class";  // a class starts private, a struct public
      }
      if (collect && !name.empty() && frame.kind != Frame::kNamespace) names.insert(name);
      frames.push_back(frame);
    } else if (collect && !name.empty()) {
      names.insert(name);
    }
    statement.clear();
  }
  return names;
}

}  // namespace simdgrad::testing
