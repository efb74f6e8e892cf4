// The IDX reader on valid, gzipped and corrupted files: a bad file is reported with its name,
// what is wrong and the byte offset.
#include <catch2/catch.hpp>

#include <sys/resource.h>

#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include "simdgrad/idx_reader.h"
#include "simdgrad/threading.h"
#include "tests/support/for_each_target.h"
#include "tests/support/idx_files.h"

namespace simdgrad::testing {

TEST_CASE("read_idx reads raw and gzipped files to the same array", "[idx]") {
  const auto folder = fresh_folder("idx-valid");
  const std::string bytes = idx_bytes({4, 3, 2}, bytes_0_to(24));
  write_raw(folder / "raw", bytes);
  write_gzip(folder / "packed.gz", bytes);
  for (const char* name : {"raw", "packed.gz"}) {
    const auto a = read_idx(folder / name);
    REQUIRE(a.dims == std::vector<uint32_t>{4, 3, 2});
    REQUIRE(a.data == bytes_0_to(24));
  }
}

TEST_CASE("read_idx names the file, the fault and the offset of a corrupted file", "[idx]") {
  const auto folder = fresh_folder("idx-bad");
  const auto file = folder / "bad";
  auto error_of = [&](const std::string& bytes, bool gzip = false) {
    gzip ? write_gzip(file, bytes) : write_raw(file, bytes);
    try {
      read_idx(file);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string f = file.string() + ": ";
  REQUIRE(
      error_of("\x01\x00\x08\x01" + std::string(5, '\0')) ==
      f + "not an IDX file: the magic number must start with two zero bytes (at byte offset 0)");
  REQUIRE(
      error_of(idx_bytes({2}, {1, 2}, 0x0d)) ==
      f + "unsupported IDX element type 0x0d (expected 0x08, unsigned byte) (at byte offset 2)");
  std::string truncated = idx_bytes({10, 2}, bytes_0_to(20));
  truncated.resize(truncated.size() - 3);
  REQUIRE(
      error_of(truncated) ==
      f + "the header declares 10x2 = 20 bytes of data but the file holds 17 (at byte offset 12)");
  REQUIRE(
      error_of(truncated, true) ==
      f + "the header declares 10x2 = 20 bytes of data but the file holds 17 (at byte offset 12)");
  REQUIRE(error_of(idx_bytes({0, 5}, {})) == f + "dimension 0 is 0 (at byte offset 4)");
  REQUIRE(error_of(std::string("\0\0\x08\x03\0\0", 6)) ==
          f + "file ends inside the IDX header (at byte offset 6)");
  REQUIRE(error_of("ab") == f + "too short for an IDX header (at byte offset 0)");
}

TEST_CASE("load_mnist_folder takes a folder of raw or gzipped files, as stored", "[idx]") {
  for (bool gzip : {false, true}) {
    const auto folder = tiny_mnist(gzip ? "mnist-gz" : "mnist-raw", gzip);
    const MnistDataset m = load_mnist_folder(folder);
    REQUIRE(m.train.count == 3);
    REQUIRE(m.train.rows == 2);
    REQUIRE(m.train.cols == 2);
    REQUIRE(m.train.pixels == bytes_0_to(12));
    REQUIRE(m.train.labels == std::vector<uint8_t>{1, 2, 3});
    REQUIRE(m.test.count == 2);
    REQUIRE(m.test.labels == std::vector<uint8_t>{4, 5});
  }
}

TEST_CASE("images_to_matrix puts one scaled image per row", "[idx]") {
  const MnistDataset m = load_mnist_folder(tiny_mnist("mnist-matrix", false));
  const Matrix<float> raw = images_to_matrix(m.train, 1.0f);
  REQUIRE(raw.rows() == 3);
  REQUIRE(raw.cols() == 4);
  REQUIRE(raw(2, 3) == float(uint8_t(11 * 7)));
  const Matrix<double> unit = images_to_matrix(m.train, 1.0 / 255.0);
  REQUIRE(unit(2, 3) == double(uint8_t(11 * 7)) / 255.0);
  LabeledImages short_of_pixels = m.train;
  short_of_pixels.pixels.pop_back();
  REQUIRE_THROWS_WITH(images_to_matrix(short_of_pixels, 1.0f),
                      "images_to_matrix: 11 pixels for 3 images of 2x2");
}

TEST_CASE("convert_images and gather_images give rows of images_to_matrix, bitwise", "[idx]") {
  const MnistDataset m = load_mnist_folder(tiny_mnist("mnist-batches", false));
  const float factor = 1.0f / 255.0f;
  const Matrix<float> all = images_to_matrix(m.train, factor);
  Matrix<float> batch(4, 4);  // one row more than used: a batch buffer may be larger
  convert_images(m.train, 1, 2, factor, batch.view());
  REQUIRE(std::memcmp(batch.data(), &all(1, 0), 2 * 4 * sizeof(float)) == 0);
  const uint32_t order[] = {2, 0, 2};
  gather_images(m.train, order, 3, factor, batch.view());
  for (size_t r = 0; r < 3; ++r) {
    REQUIRE(std::memcmp(batch.view().row(r), &all(order[r], 0), 4 * sizeof(float)) == 0);
  }
  REQUIRE_THROWS_WITH(convert_images(m.train, 2, 2, factor, batch.view()),
                      "convert_images: images 2 .. 4 of 3");
  const uint32_t bad[] = {3};
  REQUIRE_THROWS_WITH(gather_images(m.train, bad, 1, factor, batch.view()),
                      "gather_images: index 3 of 3 images");
  Matrix<float> narrow(3, 3);
  REQUIRE_THROWS_WITH(gather_images(m.train, order, 3, factor, narrow.view()),
                      "gather_images: 3 images of 4 pixels do not fit in 3x3");
}

TEST_CASE("converted pixels are exactly T(pixel) * scale on every SIMD target", "[idx]") {
  for_each_target([&](const SimdTarget&) {
    for (size_t cols : {1, 3, 4, 7, 8, 15, 16, 17, 31, 33, 63, 65, 784}) {
      INFO(cols << " pixels");
      LabeledImages images{2, 1, cols, std::vector<uint8_t>(2 * cols), {0, 0}};
      for (size_t i = 0; i < images.pixels.size(); ++i) images.pixels[i] = uint8_t(i * 37 + 11);
      Matrix<float> f(2, cols);
      Matrix<double> d(2, cols);
      convert_images(images, 0, 2, 1.0f / 255.0f, f.view());
      convert_images(images, 0, 2, 1.0 / 255.0, d.view());
      size_t wrong = 0;
      for (size_t i = 0; i < images.pixels.size(); ++i) {
        wrong += f.data()[i] != float(images.pixels[i]) * (1.0f / 255.0f);
        wrong += d.data()[i] != double(images.pixels[i]) * (1.0 / 255.0);
      }
      REQUIRE(wrong == 0);
    }
  });
}

TEST_CASE("load_mnist_folder reports a missing file and mismatched label counts", "[idx]") {
  const auto folder = tiny_mnist("mnist-mismatch", false);
  write_raw(folder / "train-labels-idx1-ubyte", idx_bytes({2}, {1, 2}));
  REQUIRE_THROWS_WITH(load_mnist_folder(folder),
                      (folder / "train-labels-idx1-ubyte").string() +
                          ": 2 labels for 3 images in train-images-idx3-ubyte");
  std::filesystem::remove(folder / "t10k-images-idx3-ubyte");
  REQUIRE_THROWS_WITH(load_mnist_folder(folder / "nowhere"),
                      (folder / "nowhere").string() + ": no such folder");
  write_raw(folder / "train-labels-idx1-ubyte", idx_bytes({3}, {1, 2, 3}));
  REQUIRE_THROWS_WITH(load_mnist_folder(folder),
                      folder.string() +
                          ": neither t10k-images-idx3-ubyte nor "
                          "t10k-images-idx3-ubyte.gz is there (a folder of "
                          "MNIST-format IDX files is expected)");
}

TEST_CASE("Debian's Fashion-MNIST package loads like MNIST", "[idx]") {
  const std::filesystem::path folder = "/usr/share/datasets/fashion-mnist";
  // test.sh installs dataset-fashion-mnist; without it this test fails rather than passes.
  REQUIRE(std::filesystem::exists(folder / "train-images-idx3-ubyte.gz"));
  const auto m = load_mnist_folder(folder);
  REQUIRE(m.train.count == 60000);
  REQUIRE(m.train.pixels_per_image() == 784);
  REQUIRE(m.test.count == 10000);
  REQUIRE(m.train.labels.size() == 60000);
}

namespace {

// Peak resident memory of this process so far, in MiB.
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024;  // Linux reports KiB
}

}  // namespace

TEST_CASE("the fuzzers' seed IDX files read as the arrays they hold", "[idx]") {
  const std::filesystem::path seeds = SIMDGRAD_SOURCE_DIR "/tests/fuzz/corpus/idx";
  for (const char* name : {"images-2x3x3", "images-2x3x3.gz"}) {
    const IdxArray images = read_idx(seeds / name);
    REQUIRE(images.dims == std::vector<uint32_t>{2, 3, 3});
    REQUIRE(images.data[17] == 170);
  }
  for (const char* name : {"labels-2", "labels-2.gz"}) {
    REQUIRE(read_idx(seeds / name).data == std::vector<uint8_t>{7, 1});
  }
}

// Every input the fuzzer (or a review) ever found to break the reader: each must end in a
// clean error, without allocating for data the file does not hold.
TEST_CASE("every past fuzzing finding on the IDX reader ends in a clean error", "[idx]") {
  const std::filesystem::path findings = SIMDGRAD_SOURCE_DIR "/tests/fuzz/regressions/idx";
  size_t replayed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(findings)) {
    INFO(entry.path());
    const double before = peak_rss_mib();
    REQUIRE_THROWS_AS(read_idx(entry.path()), std::runtime_error);
    // gzip-length-trailer-lies: a 1 KB file whose trailer claims 1 GiB once cost 1 GiB.
    REQUIRE(peak_rss_mib() - before < 64);
    ++replayed;
  }
  REQUIRE(replayed > 0);
}

TEST_CASE("a gather shared by a team gives the rows of images_to_matrix, for any team size",
          "[idx]") {
  const MnistDataset m = load_mnist_folder(tiny_mnist("mnist-team-gather", false));
  const float factor = 1.0f / 255.0f;
  const Matrix<float> all = images_to_matrix(m.train, factor);
  std::vector<uint32_t> order(100);
  for (size_t r = 0; r < order.size(); ++r) order[r] = uint32_t((r * 7 + r / 5) % 3);
  const int saved = num_threads();
  for (int threads : {1, 2, 3, 8}) {
    INFO(threads << " threads");
    set_num_threads(threads);
    Matrix<float> batch(order.size(), 4);
    gather_images(m.train, order.data(), order.size(), factor, batch.view());
    REQUIRE(last_team_size() == threads);
    for (size_t r = 0; r < order.size(); ++r) {
      REQUIRE(std::memcmp(batch.view().row(r), &all(order[r], 0), 4 * sizeof(float)) == 0);
    }
    const uint32_t last = order.back();
    order.back() = 3;  // the last row's index is out of range: refused before any team forms
    REQUIRE_THROWS_WITH(gather_images(m.train, order.data(), order.size(), factor, batch.view()),
                        "gather_images: index 3 of 3 images");
    order.back() = last;
  }
  set_num_threads(saved);
}

}  // namespace simdgrad::testing
