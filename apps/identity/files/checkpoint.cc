#include "apps/identity/files/checkpoint.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string_view>

#include <zlib.h>
#include <nlohmann/json.hpp>

#include "apps/identity/files/atomic_file.h"

namespace simdgrad::identity {

static_assert(sizeof(float) == 4, "safetensors F32");

namespace {

constexpr const char* kChecksumKey = "checksum";

}  // namespace

uint32_t crc32_of(uint32_t crc, std::string_view bytes) {
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t done = 0; done < bytes.size(); done += kPiece) {
    const size_t n = std::min(kPiece, bytes.size() - done);
    crc = uint32_t(crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + done), uInt(n)));
  }
  return crc;
}

namespace {

// The checksum's start: the CRC-32 of the header as written without the checksum; the data
// bytes follow.
uint32_t header_crc(const nlohmann::json& header_without_checksum) {
  return crc32_of(uint32_t(crc32(0, nullptr, 0)), header_without_checksum.dump());
}

std::string hex(uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", value);
  return text;
}

// Calls write(bytes) for each row of each tensor's data, in file order.
template <class Write>
void for_each_data_piece(const std::vector<autograd::NamedTensor<float>>& tensors, Write&& write) {
  for (const auto& t : tensors) {
    const size_t row_bytes = t.view.cols() * sizeof(float);
    if (t.view.contiguous()) {
      write(std::string_view(reinterpret_cast<const char*>(t.view.data()),
                             t.view.rows() * row_bytes));
      continue;
    }
    for (size_t r = 0; r < t.view.rows(); ++r) {
      write(std::string_view(reinterpret_cast<const char*>(t.view.row(r)), row_bytes));
    }
  }
}

// A tensor's list of whole numbers (its shape or byte range). Only unsigned integers: nlohmann
// converts any JSON number to size_t, and a float out of range (a dimension of 3e28, found by
// the fuzzer) is undefined behaviour.
template <class Bad>
std::vector<size_t> whole_numbers(const nlohmann::json& entry, const std::string& tensor,
                                  const char* field, const Bad& bad) {
  const nlohmann::json& list = entry.at(field);
  if (!list.is_array()) throw bad("tensor '" + tensor + "': " + field + " is not a list");
  std::vector<size_t> out;
  for (const auto& n : list) {
    if (!n.is_number_unsigned()) {
      throw bad("tensor '" + tensor + "': " + field + " holds " + n.dump() +
                ", not a whole number below 2^64");
    }
    out.push_back(n.get<size_t>());
  }
  return out;
}

}  // namespace

void save_checkpoint(const std::filesystem::path& file,
                     const std::vector<autograd::NamedTensor<float>>& tensors,
                     const std::map<std::string, std::string>& metadata) {
  nlohmann::json header;
  header["__metadata__"] = metadata;
  size_t offset = 0;
  for (const auto& t : tensors) {
    const size_t bytes = t.view.size() * sizeof(float);
    header[t.name] = {{"dtype", "F32"},
                      {"shape", {t.view.rows(), t.view.cols()}},
                      {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  uint32_t crc = header_crc(header);
  for_each_data_piece(tensors, [&](std::string_view piece) { crc = crc32_of(crc, piece); });
  header["__metadata__"][kChecksumKey] = hex(crc);
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string prefix(8, '\0');
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) prefix[i] = char((length >> (8 * i)) & 0xff);
  prefix += text;
  // Streamed tensor by tensor: no copy of the model and its optimizer state in memory.
  write_file_atomically(file, [&](const ByteWriter& write) {
    write(prefix);
    for_each_data_piece(tensors, write);
  });
}

Checkpoint load_checkpoint(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_checkpoint(bytes, file.string());
}

Checkpoint parse_checkpoint(std::string_view bytes, const std::string& name, bool verify_checksum) {
  auto bad = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(name + ": not a valid checkpoint: " + what);
  };
  if (bytes.size() < 8) throw bad("shorter than the 8-byte header length");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= uint64_t(uint8_t(bytes[i])) << (8 * i);
  if (length > bytes.size() - 8) {
    throw bad("header length " + std::to_string(length) + " runs past the end of the file");
  }
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(8, length));
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("header is not JSON: ") + e.what());
  }
  if (!header.is_object()) throw bad("header is not a JSON object");
  Checkpoint out;
  const size_t data_start = 8 + length, data_size = bytes.size() - data_start;
  auto metadata = header.find("__metadata__");
  const bool has_checksum =
      metadata != header.end() && metadata->is_object() && metadata->contains(kChecksumKey);
  if (verify_checksum) {
    if (!has_checksum) throw bad("it has no checksum");
    const nlohmann::json stored = (*metadata)[kChecksumKey];
    metadata->erase(kChecksumKey);
    const uint32_t crc = crc32_of(header_crc(header), bytes.substr(data_start));
    if (!stored.is_string() || stored.get<std::string>() != hex(crc)) {
      throw bad("checksum mismatch (the file was truncated, torn or edited)");
    }
  } else if (has_checksum) {
    metadata->erase(kChecksumKey);
  }
  try {
    for (auto& [key, entry] : header.items()) {
      if (key == "__metadata__") {
        out.metadata = entry.get<std::map<std::string, std::string>>();
        continue;
      }
      if (entry.at("dtype") != "F32") throw bad("tensor '" + key + "' is not F32");
      const auto shape = whole_numbers(entry, key, "shape", bad);
      const auto range = whole_numbers(entry, key, "data_offsets", bad);
      if (shape.size() != 2) throw bad("tensor '" + key + "' is not 2-dimensional");
      // Checked in a way that cannot overflow: each dimension against the data's size first.
      const size_t max_elements = data_size / sizeof(float);
      if (range.size() != 2 || range[1] < range[0] || range[1] > data_size ||
          (shape[0] != 0 && shape[1] > max_elements / shape[0]) ||
          range[1] - range[0] != shape[0] * shape[1] * sizeof(float)) {
        throw bad("tensor '" + key + "' has a byte range that does not fit its shape or the file");
      }
      Matrix<float> m(shape[0], shape[1]);
      if (m.size())
        std::memcpy(m.data(), bytes.data() + data_start + range[0], range[1] - range[0]);
      out.tensors.emplace(key, std::move(m));
    }
  } catch (const nlohmann::json::exception& e) {
    throw bad(std::string("malformed header: ") + e.what());
  }
  return out;
}

void restore_tensors(const Checkpoint& checkpoint,
                     const std::vector<autograd::NamedTensor<float>>& targets,
                     const std::filesystem::path& file) {
  for (const auto& t : targets) {
    const auto it = checkpoint.tensors.find(t.name);
    if (it == checkpoint.tensors.end()) {
      throw std::runtime_error(file.string() + ": checkpoint has no tensor '" + t.name + "'");
    }
    const Matrix<float>& m = it->second;
    if (m.rows() != t.view.rows() || m.cols() != t.view.cols()) {
      throw std::runtime_error(file.string() + ": tensor '" + t.name + "' is " +
                               shape_string(m.view()) + ", the model needs " +
                               shape_string(t.view));
    }
    for (size_t r = 0; r < m.rows(); ++r) {
      std::memcpy(t.view.row(r), &m(r, 0), m.cols() * sizeof(float));
    }
  }
}

}  // namespace simdgrad::identity
