#include "apps/identity/checkpoint.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "apps/identity/atomic_file.h"

namespace simdgrad::identity {

static_assert(sizeof(float) == 4, "safetensors F32");

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
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string prefix(8, '\0');
  const uint64_t length = text.size();
  for (int i = 0; i < 8; ++i) prefix[i] = char((length >> (8 * i)) & 0xff);
  prefix += text;
  // Streamed tensor by tensor: no copy of the model and its optimizer state in memory.
  write_file_atomically(file, [&](const ByteWriter& write) {
    write(prefix);
    for (const auto& t : tensors) {
      const size_t row_bytes = t.view.cols() * sizeof(float);
      if (t.view.contiguous()) {
        write({reinterpret_cast<const char*>(t.view.data()), t.view.rows() * row_bytes});
        continue;
      }
      for (size_t r = 0; r < t.view.rows(); ++r) {
        write({reinterpret_cast<const char*>(t.view.row(r)), row_bytes});
      }
    }
  });
}

Checkpoint load_checkpoint(const std::filesystem::path& file) {
  auto bad = [&](const std::string& what) -> std::runtime_error {
    return std::runtime_error(file.string() + ": not a valid checkpoint: " + what);
  };
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(file.string() + ": cannot open");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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
  Checkpoint out;
  const size_t data_start = 8 + length, data_size = bytes.size() - data_start;
  try {
    for (auto& [name, entry] : header.items()) {
      if (name == "__metadata__") {
        out.metadata = entry.get<std::map<std::string, std::string>>();
        continue;
      }
      if (entry.at("dtype") != "F32") throw bad("tensor '" + name + "' is not F32");
      const auto shape = entry.at("shape").get<std::vector<size_t>>();
      const auto range = entry.at("data_offsets").get<std::vector<size_t>>();
      if (shape.size() != 2) throw bad("tensor '" + name + "' is not 2-dimensional");
      if (range.size() != 2 || range[1] < range[0] || range[1] > data_size ||
          range[1] - range[0] != shape[0] * shape[1] * sizeof(float)) {
        throw bad("tensor '" + name + "' has a byte range that does not fit its shape or the file");
      }
      Matrix<float> m(shape[0], shape[1]);
      if (m.size()) std::memcpy(m.data(), bytes.data() + data_start + range[0], range[1] - range[0]);
      out.tensors.emplace(name, std::move(m));
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
                               shape_string(m.view()) + ", the model needs " + shape_string(t.view));
    }
    for (size_t r = 0; r < m.rows(); ++r) {
      std::memcpy(t.view.row(r), &m(r, 0), m.cols() * sizeof(float));
    }
  }
}

}  // namespace simdgrad::identity
