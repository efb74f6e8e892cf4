#include "apps/identity/files/reconstructions_png.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "apps/identity/files/atomic_file.h"

namespace simdgrad::identity {
namespace {

void append_to_string(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

}  // namespace

void write_reconstructions_png(const std::filesystem::path& file, MatrixView<const float> originals,
                               MatrixView<const float> reconstructions, size_t side,
                               float full_scale) {
  require_same_shape("write_reconstructions_png", originals, reconstructions);
  constexpr size_t kZoom = 2, kGap = 2;  // 2x pixels, 2 px between tiles
  const size_t count = originals.rows(), tile = side * kZoom;
  const size_t width = count * (tile + kGap) + kGap, height = 2 * (tile + kGap) + kGap;
  std::vector<uint8_t> image(width * height, 64);  // dark grey frame
  for (size_t row = 0; row < 2; ++row) {
    const MatrixView<const float> source = row == 0 ? originals : reconstructions;
    for (size_t i = 0; i < count; ++i) {
      for (size_t p = 0; p < side * side; ++p) {
        const float v = std::clamp(source(i, p) * 255.0f / full_scale, 0.0f, 255.0f);
        const uint8_t gray = uint8_t(std::lround(v));
        const size_t x0 = kGap + i * (tile + kGap) + (p % side) * kZoom;
        const size_t y0 = kGap + row * (tile + kGap) + (p / side) * kZoom;
        for (size_t dy = 0; dy < kZoom; ++dy)
          for (size_t dx = 0; dx < kZoom; ++dx) image[(y0 + dy) * width + x0 + dx] = gray;
      }
    }
  }
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) throw std::runtime_error(file.string() + ": cannot start libpng");
  std::string bytes;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error(file.string() + ": libpng failed to encode the image");
  }
  png_set_write_fn(png, &bytes, append_to_string, nullptr);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (size_t y = 0; y < height; ++y) png_write_row(png, &image[y * width]);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  write_file_atomically(file, bytes);
}

}  // namespace simdgrad::identity
