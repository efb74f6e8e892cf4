// The IDX file format of MNIST, Fashion-MNIST and EMNIST: a reader, and loaders for a set of
// labelled images and for a folder of the four MNIST-named files.
//
// IDX: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, each
// dimension as a big-endian 32-bit integer, then the data. A file may be raw or gzip-compressed.
// The reader checks the header and the data size against the file's length *before*
// allocating, and reports a bad file as std::runtime_error naming the file, what is wrong and
// the byte offset (of the uncompressed content) where it is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "simdgrad/matrix.h"

namespace simdgrad {

struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;  // row-major, product(dims) bytes
};

// Reads an IDX file of unsigned bytes, raw or gzip-compressed (detected by its magic bytes).
IdxArray read_idx(const std::filesystem::path& file);

// Images and their labels as stored: one byte per pixel and per label.
struct LabeledImages {
  size_t count = 0;
  size_t rows = 0;
  size_t cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols: image after image, each row-major
  std::vector<uint8_t> labels;  // count
  size_t pixels_per_image() const { return rows * cols; }
};

// An images file (3 dimensions: count, rows, cols) and its labels file (1 dimension: count);
// throws when either is malformed or the counts differ.
LabeledImages read_labeled_images(const std::filesystem::path& images_file,
                                  const std::filesystem::path& labels_file);

struct MnistDataset {
  LabeledImages train;
  LabeledImages test;
};

// A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte
// and t10k-labels-idx1-ubyte, each raw or with .gz appended (MNIST, Fashion-MNIST, KMNIST);
// checks that train and test images have the same size.
MnistDataset load_mnist_folder(const std::filesystem::path& folder);

// The images as a count x pixels matrix, each element scale * pixel (scale 1/255 for 0..1).
template <class T>
Matrix<T> images_to_matrix(const LabeledImages& images, T scale);

// Images first .. first + count - 1 into the first `count` rows of `out` (pixels_per_image()
// columns), each element scale * pixel: a batch converted from the stored bytes in one pass,
// so a data set can stay one byte per pixel in memory.
template <class T>
void convert_images(const LabeledImages& images, size_t first, size_t count, T scale,
                    MatrixView<T> out);
// The same for the images indices[0 .. count - 1] (a shuffled batch), the rows shared by a team
// of num_threads() from 32 rows on (the waiting on memory is what is shared). Every index is
// checked before any row is written.
template <class T>
void gather_images(const LabeledImages& images, const uint32_t* indices, size_t count, T scale,
                   MatrixView<T> out);

}  // namespace simdgrad
