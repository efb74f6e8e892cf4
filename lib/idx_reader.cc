#include "simdgrad/idx_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include "lib/parallel_segments.h"
#include "lib/prefetch.h"
#include "lib/vector_kernels.h"
#include "simdgrad/index_range.h"

namespace simdgrad {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void bad_file(const fs::path& file, const std::string& what, uint64_t offset) {
  throw std::runtime_error(file.string() + ": " + what + " (at byte offset " +
                           std::to_string(offset) + ")");
}

bool is_gzip(const fs::path& file) {
  FILE* f = std::fopen(file.c_str(), "rb");
  if (!f) return false;
  unsigned char magic[2] = {0, 0};
  const size_t got = std::fread(magic, 1, 2, f);
  std::fclose(f);
  return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

// The uncompressed length: the file size, or a gzip file's ISIZE trailer (its length mod 2^32,
// exact for anything below 4 GiB, which every IDX file here is).
uint64_t content_length(const fs::path& file, bool gzip) {
  std::error_code ec;
  const uint64_t size = fs::file_size(file, ec);
  if (ec) throw std::runtime_error(file.string() + ": cannot read: " + ec.message());
  if (!gzip) return size;
  if (size < 18) bad_file(file, "too short to be a gzip file", 0);
  FILE* f = std::fopen(file.c_str(), "rb");
  unsigned char trailer[4];
  std::fseek(f, long(size - 4), SEEK_SET);
  const size_t got = std::fread(trailer, 1, 4, f);
  std::fclose(f);
  if (got != 4) bad_file(file, "cannot read the gzip trailer", size - 4);
  return uint64_t(trailer[0]) | uint64_t(trailer[1]) << 8 | uint64_t(trailer[2]) << 16 |
         uint64_t(trailer[3]) << 24;
}

// gzread reads raw and compressed files alike.
class GzFile {
 public:
  explicit GzFile(const fs::path& file) : file_(file), handle_(gzopen(file.c_str(), "rb")) {
    if (!handle_) throw std::runtime_error(file.string() + ": cannot open");
  }
  ~GzFile() { gzclose(handle_); }
  GzFile(const GzFile&) = delete;
  GzFile& operator=(const GzFile&) = delete;

  // Reads exactly n bytes or throws naming the offset where the data ran out and how many
  // bytes were missing (`more` are still expected after these n).
  void read(void* out, size_t n, const char* what, uint64_t more = 0) {
    size_t done = 0;
    while (done < n) {
      const unsigned chunk = unsigned(std::min<size_t>(n - done, 1u << 30));
      const int got = gzread(handle_, static_cast<char*>(out) + done, chunk);
      if (got < 0) {
        int code;
        bad_file(file_, std::string("corrupt compressed data: ") + gzerror(handle_, &code),
                 offset_ + done);
      }
      if (got == 0) {
        bad_file(file_,
                 std::string("file ends inside the ") + what + ", " +
                     std::to_string(n - done + more) + " bytes short",
                 offset_ + done);
      }
      done += size_t(got);
    }
    offset_ += n;
  }
  uint64_t offset() const { return offset_; }
  bool at_end() {
    char extra;
    return gzread(handle_, &extra, 1) == 0;
  }

 private:
  fs::path file_;
  gzFile handle_;
  uint64_t offset_ = 0;
};

}  // namespace

IdxArray read_idx(const fs::path& file) {
  const bool gzip = is_gzip(file);
  const uint64_t length = content_length(file, gzip);
  GzFile in(file);
  if (length < 4) bad_file(file, "too short for an IDX header", 0);
  unsigned char magic[4];
  in.read(magic, 4, "IDX magic number");
  if (magic[0] != 0 || magic[1] != 0) {
    bad_file(file, "not an IDX file: the magic number must start with two zero bytes", 0);
  }
  if (magic[2] != 0x08) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", magic[2]);
    bad_file(file,
             std::string("unsupported IDX element type ") + hex + " (expected 0x08, unsigned byte)",
             2);
  }
  const unsigned rank = magic[3];
  if (rank == 0 || rank > 4) {
    bad_file(file, "unsupported number of IDX dimensions " + std::to_string(rank), 3);
  }
  const uint64_t header = 4 + 4ull * rank;
  if (length < header) bad_file(file, "file ends inside the IDX header", length);
  IdxArray out;
  uint64_t elements = 1;
  for (unsigned d = 0; d < rank; ++d) {
    unsigned char be[4];
    in.read(be, 4, "IDX dimensions");
    const uint32_t dim =
        uint32_t(be[0]) << 24 | uint32_t(be[1]) << 16 | uint32_t(be[2]) << 8 | be[3];
    if (dim == 0) bad_file(file, "dimension " + std::to_string(d) + " is 0", 4 + 4 * d);
    out.dims.push_back(dim);
    elements *= dim;
    if (elements > (uint64_t(1) << 34)) {
      bad_file(file, "dimensions declare more than 16 GiB of data", 4 + 4 * d);
    }
  }
  if (length - header != elements) {
    std::string shape;
    for (uint32_t d : out.dims) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    bad_file(file,
             "the header declares " + shape + " = " + std::to_string(elements) +
                 " bytes of data but the file holds " + std::to_string(length - header),
             header);
  }
  // A gzip file's length came from its trailer, which a damaged or hostile file can make up
  // (a 1 KB file claiming 1 GiB): the array grows with the bytes that actually arrive, in
  // pieces, never ahead of them by more than one piece.
  constexpr uint64_t kPiece = uint64_t{16} << 20;
  out.data.reserve(size_t(std::min(elements, kPiece)));
  while (out.data.size() < elements) {
    const uint64_t done = out.data.size(), n = std::min(kPiece, elements - done);
    out.data.resize(size_t(done + n));
    in.read(out.data.data() + done, size_t(n), "data", elements - done - n);
  }
  if (!in.at_end()) bad_file(file, "unexpected bytes after the data", header + elements);
  return out;
}

LabeledImages read_labeled_images(const fs::path& images_file, const fs::path& labels_file) {
  IdxArray images = read_idx(images_file);
  IdxArray labels = read_idx(labels_file);
  if (images.dims.size() != 3) {
    throw std::runtime_error(images_file.string() +
                             ": expected 3 dimensions (count, rows, "
                             "cols), got " +
                             std::to_string(images.dims.size()));
  }
  if (labels.dims.size() != 1 || labels.dims[0] != images.dims[0]) {
    throw std::runtime_error(labels_file.string() + ": " + std::to_string(labels.dims[0]) +
                             " labels for " + std::to_string(images.dims[0]) + " images in " +
                             images_file.filename().string());
  }
  LabeledImages out;
  out.count = images.dims[0];
  out.rows = images.dims[1];
  out.cols = images.dims[2];
  out.pixels = std::move(images.data);
  out.labels = std::move(labels.data);
  return out;
}

namespace {

fs::path find_idx(const fs::path& folder, const std::string& name) {
  for (const fs::path& candidate : {folder / name, folder / (name + ".gz")}) {
    if (fs::exists(candidate)) return candidate;
  }
  throw std::runtime_error(folder.string() + ": neither " + name + " nor " + name +
                           ".gz is there (a folder of MNIST-format IDX files is expected)");
}

LabeledImages load_split(const fs::path& folder, const std::string& prefix) {
  return read_labeled_images(find_idx(folder, prefix + "-images-idx3-ubyte"),
                             find_idx(folder, prefix + "-labels-idx1-ubyte"));
}

}  // namespace

MnistDataset load_mnist_folder(const fs::path& folder) {
  if (!fs::is_directory(folder)) throw std::runtime_error(folder.string() + ": no such folder");
  MnistDataset m{load_split(folder, "train"), load_split(folder, "t10k")};
  if (m.train.pixels_per_image() != m.test.pixels_per_image()) {
    throw std::runtime_error(folder.string() + ": train images have " +
                             std::to_string(m.train.pixels_per_image()) + " pixels, test images " +
                             std::to_string(m.test.pixels_per_image()));
  }
  return m;
}

namespace {

void check_pixels(const LabeledImages& images, const char* operation) {
  if (images.pixels.size() != images.count * images.pixels_per_image()) {
    throw std::invalid_argument(std::string(operation) + ": " +
                                std::to_string(images.pixels.size()) + " pixels for " +
                                std::to_string(images.count) + " images of " +
                                std::to_string(images.rows) + "x" + std::to_string(images.cols));
  }
}

template <class T>
void check_destination(const LabeledImages& images, size_t count, MatrixView<T> out,
                       const char* operation) {
  if (out.rows() < count || out.cols() != images.pixels_per_image()) {
    throw std::invalid_argument(std::string(operation) + ": " + std::to_string(count) +
                                " images of " + std::to_string(images.pixels_per_image()) +
                                " pixels do not fit in " + shape_string(out));
  }
}

// The one conversion every path uses, so a batch is bitwise the rows of images_to_matrix:
// the SIMD kernel of the target in use, exactly T(pixel) * scale.
template <class T>
void convert_row(const uint8_t* pixels, size_t n, T scale, T* out) {
  detail::vector_kernels<T>().bytes_to(pixels, scale, out, n);
}

}  // namespace

template <class T>
void convert_images(const LabeledImages& images, size_t first, size_t count, T scale,
                    MatrixView<T> out) {
  check_pixels(images, "convert_images");
  check_destination(images, count, out, "convert_images");
  if (first + count > images.count) {
    throw std::invalid_argument("convert_images: images " + std::to_string(first) + " .. " +
                                std::to_string(first + count) + " of " +
                                std::to_string(images.count));
  }
  const size_t n = images.pixels_per_image();
  for (size_t r = 0; r < count; ++r)
    convert_row(&images.pixels[(first + r) * n], n, scale, out.row(r));
}

namespace {

// Below this many rows a gather runs on the calling thread alone.
constexpr size_t kGatherParallelMinRows = 32;

// Rows [begin, end) of a gather, each converted while a few rows ahead are fetched: shuffled
// rows are cache misses one after another (a batch of 128 MNIST rows took 0.08 ms without the
// prefetch, mostly waiting on memory).
template <class T>
void gather_rows(const LabeledImages& images, const uint32_t* indices, IndexRange rows, T scale,
                 MatrixView<T> out) {
  const size_t n = images.pixels_per_image();
  constexpr size_t kRowsAhead = 4;
  const auto prefetch_row = [&](size_t r) SIMDGRAD_PREFETCHING {
    if (r >= rows.end) return;
    prefetch_lines(&images.pixels[size_t(indices[r]) * n], n);
  };
  for (size_t r = rows.begin; r < rows.begin + kRowsAhead; ++r) prefetch_row(r);
  for (size_t r = rows.begin; r < rows.end; ++r) {
    prefetch_row(r + kRowsAhead);
    convert_row(&images.pixels[size_t(indices[r]) * n], n, scale, out.row(r));
  }
}

}  // namespace

template <class T>
void gather_images(const LabeledImages& images, const uint32_t* indices, size_t count, T scale,
                   MatrixView<T> out) {
  check_pixels(images, "gather_images");
  check_destination(images, count, out, "gather_images");
  for (size_t r = 0; r < count; ++r) {
    if (indices[r] >= images.count) {
      throw std::invalid_argument("gather_images: index " + std::to_string(indices[r]) + " of " +
                                  std::to_string(images.count) + " images");
    }
  }
  // A gather waits on memory, not on arithmetic: a team shares the waiting from a few dozen
  // rows on. A training batch's 128 rows took 0.10-0.15 ms on one thread of a 2-thread team
  // (the other core holds the lines of the previous batch, which it read), 0.07-0.09 ms shared.
  // Any split gives the same values.
  run_on_team(count >= kGatherParallelMinRows, [&](int id, int size) {
    gather_rows(images, indices, balanced_part(count, id, size), scale, out);
  });
}

template <class T>
Matrix<T> images_to_matrix(const LabeledImages& images, T scale) {
  check_pixels(images, "images_to_matrix");
  Matrix<T> out(images.count, images.pixels_per_image());
  if (images.count > 0) convert_images(images, 0, images.count, scale, out.view());
  return out;
}

template void convert_images(const LabeledImages&, size_t, size_t, float, MatrixView<float>);
template void convert_images(const LabeledImages&, size_t, size_t, double, MatrixView<double>);
template void gather_images(const LabeledImages&, const uint32_t*, size_t, float,
                            MatrixView<float>);
template void gather_images(const LabeledImages&, const uint32_t*, size_t, double,
                            MatrixView<double>);
template Matrix<float> images_to_matrix(const LabeledImages&, float);
template Matrix<double> images_to_matrix(const LabeledImages&, double);

}  // namespace simdgrad
