// MNIST-format data: the IDX reader and the loader of a folder of the four standard files.
//
// IDX: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, each
// dimension as a big-endian 32-bit integer, then the data. A file may be raw or gzip-compressed
// (zlib). The reader checks the header and the data size against the file's length *before*
// allocating, and reports a bad file as: which file, what is wrong, at which byte offset
// (std::runtime_error; the app exits 2 on it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lib/matrix.h"

namespace simdgrad::identity {

struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // row-major, product(dims) bytes
};

// Reads an IDX file of unsigned bytes, raw or .gz.
IdxArray read_idx(const std::filesystem::path& file);

enum class PixelScale { kRaw, kUnit };  // 0..255 as in the seed experiment, or 0..1

struct MnistSplit {
  Matrix<float> images;         // n x 784 (rows x cols of the IDX images flattened)
  std::vector<uint8_t> labels;  // n
};

struct Mnist {
  MnistSplit train;
  MnistSplit test;
  std::filesystem::path folder;
};

// Finds each of train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
// t10k-labels-idx1-ubyte in `folder`, raw or with .gz appended, and checks that they agree
// (image counts equal label counts, train and test images of the same size).
Mnist load_mnist(const std::filesystem::path& folder, PixelScale scale);

}  // namespace simdgrad::identity
