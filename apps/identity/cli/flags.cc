#include "apps/identity/cli/flags.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace simdgrad::identity::cli {
namespace {

// The whole of `text` read as a real number, or nothing.
bool read_real(const std::string& text, double* value) {
  if (text.empty()) return false;
  char* end = nullptr;
  *value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

bool is_whole_number_text(const std::string& text) {
  const size_t digits = text.size() - (text[0] == '-' ? 1 : 0);
  return digits > 0 &&
         text.find_first_not_of("0123456789", text.size() - digits) == std::string::npos;
}

// Why `text` is not a whole number, or "" when it is one (its value, clamped to the int64_t range
// for a range check, in *value).
std::string whole_number_problem(const std::string& text, int64_t* value) {
  double real = 0;
  if (!read_real(text, &real)) return "not a number: '" + text + "'";
  if (!is_whole_number_text(text)) return "not a whole number: '" + text + "'";
  errno = 0;
  const long long read = std::strtoll(text.c_str(), nullptr, 10);
  *value = errno == ERANGE ? (text[0] == '-' ? std::numeric_limits<int64_t>::min()
                                             : std::numeric_limits<int64_t>::max())
                           : int64_t(read);
  return "";
}

std::string shortest(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

}  // namespace

std::string one_of(const std::vector<std::string>& words) {
  std::string listed;
  for (size_t i = 0; i < words.size(); ++i) {
    listed += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
  }
  return listed;
}

CLI::Validator whole_number(int64_t lowest, int64_t highest) {
  const std::string range = "from " + std::to_string(lowest) + " to " + std::to_string(highest);
  return CLI::Validator(
      [=](std::string& text) {
        int64_t value = 0;
        const std::string problem = whole_number_problem(text, &value);
        if (!problem.empty()) return problem;
        if (value < lowest || value > highest) return "must be " + range + ", got " + text;
        return std::string();
      },
      range.substr(5));
}

CLI::Validator seed_number() {
  const std::string range = "from 0 to " + std::to_string(std::numeric_limits<uint64_t>::max());
  return CLI::Validator(
      [=](std::string& text) {
        int64_t value = 0;
        const std::string problem = whole_number_problem(text, &value);
        if (!problem.empty()) return problem;
        errno = 0;
        std::strtoull(text.c_str(), nullptr, 10);
        if (text[0] == '-' || errno == ERANGE) return "must be " + range + ", got " + text;
        return std::string();
      },
      range.substr(5));
}

CLI::Validator real_number(double lowest, double highest) {
  const std::string range = "from " + shortest(lowest) + " to " + shortest(highest);
  return CLI::Validator(
      [=](std::string& text) {
        double value = 0;
        if (!read_real(text, &value) || std::isnan(value)) return "not a number: '" + text + "'";
        if (!(value >= lowest && value <= highest)) return "must be " + range + ", got " + text;
        return std::string();
      },
      range.substr(5));
}

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) {
        double value = 0;
        if (!read_real(text, &value) || std::isnan(value)) return "not a number: '" + text + "'";
        if (!std::isfinite(value) || value <= 0)
          return "must be a finite number above 0, got " + text;
        return std::string();
      },
      "> 0");
}

}  // namespace simdgrad::identity::cli
