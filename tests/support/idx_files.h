// Writes small IDX files (raw or gzip) and MNIST-like folders for the reader's tests.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace simdgrad::testing {

inline std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data,
                             uint8_t type = 0x08) {
  std::string out = {0, 0, char(type), char(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) out += char((d >> shift) & 0xff);
  }
  out.append(data.begin(), data.end());
  return out;
}

inline void write_raw(const std::filesystem::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

inline void write_gzip(const std::filesystem::path& file, const std::string& bytes) {
  gzFile f = gzopen(file.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

// A fresh empty folder under the system's temporary directory.
inline std::filesystem::path fresh_folder(const std::string& name) {
  const auto folder = std::filesystem::temp_directory_path() / ("simdgrad-test-" + name);
  std::filesystem::remove_all(folder);
  std::filesystem::create_directories(folder);
  return folder;
}

inline std::vector<uint8_t> bytes_0_to(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i * 7);
  return v;
}

// Writes a 3-image 2x2 MNIST-like folder (test split: 2 images), compressed or not.
inline std::filesystem::path tiny_mnist(const std::string& name, bool gzip) {
  const auto folder = fresh_folder(name);
  auto write = [&](const std::string& file, const std::string& bytes) {
    gzip ? write_gzip(folder / (file + ".gz"), bytes) : write_raw(folder / file, bytes);
  };
  write("train-images-idx3-ubyte", idx_bytes({3, 2, 2}, bytes_0_to(12)));
  write("train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
  write("t10k-images-idx3-ubyte", idx_bytes({2, 2, 2}, bytes_0_to(8)));
  write("t10k-labels-idx1-ubyte", idx_bytes({2}, {4, 5}));
  return folder;
}

}  // namespace simdgrad::testing
