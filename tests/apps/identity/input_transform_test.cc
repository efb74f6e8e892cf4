// The input preconditioning on small data sets whose answers are known: centering removes the
// mean, whitening gives the training images unit covariance on the pixels they light and
// ignores the pixels they never light, and the fit is the same to the bit for any thread count.
#include <catch2/catch.hpp>

#include <cstring>

#include "apps/identity/data/input_transform.h"
#include "simdgrad/autograd/random.h"
#include "simdgrad/threading.h"

namespace simdgrad::testing {
namespace {

using identity::Precondition;

// n images of 3 x 3 pixels: independent random 0..255 values plus a shared brightness (so the
// pixels correlate), except pixel `dark`, 0 everywhere.
LabeledImages images(size_t n, size_t dark, uint64_t seed) {
  LabeledImages s{n, 3, 3, std::vector<uint8_t>(n * 9), std::vector<uint8_t>(n)};
  autograd::Random rng(seed);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t shared = uint32_t(rng.below(128));
    for (size_t p = 0; p < 9; ++p)
      s.pixels[i * 9 + p] = p == dark ? 0 : uint8_t(shared + rng.below(128));
  }
  return s;
}

Matrix<float> transformed(const identity::InputTransform& t, const LabeledImages& x, float factor) {
  Matrix<float> pixels(x.count, 9), z(x.count, 9);
  convert_images<float>(x, 0, x.count, factor, pixels.view());
  t.apply(pixels, z);
  return z;
}

}  // namespace

TEST_CASE("centering subtracts the training images' mean pixel values", "[app]") {
  const auto train = images(300, 4, 1);
  const auto t = identity::fit_input_transform(Precondition::kCenter, train, 200, 1.0f / 255);
  REQUIRE(t.matrix.size() == 0);
  for (size_t p = 0; p < 9; ++p) {
    double mean = 0;
    for (size_t i = 0; i < 200; ++i) mean += train.pixels[i * 9 + p] / 255.0;  // the first 200 only
    REQUIRE(-t.offset(0, p) == Approx(mean / 200).epsilon(1e-6).margin(1e-7));
  }
}

TEST_CASE("whitening gives unit covariance where the images vary and ignores unlit pixels",
          "[app]") {
  const auto train = images(400, 4, 2);
  const auto t = identity::fit_input_transform(Precondition::kWhiten, train, train.count, 1.0f);
  const Matrix<float> z = transformed(t, train, 1.0f);
  for (size_t a = 0; a < 9; ++a) {
    double mean = 0;
    for (size_t i = 0; i < z.rows(); ++i) mean += z(i, a);
    REQUIRE(mean / double(z.rows()) == Approx(0).margin(1e-4));
    for (size_t b = 0; b < 9; ++b) {
      double covariance = 0;
      for (size_t i = 0; i < z.rows(); ++i) covariance += double(z(i, a)) * z(i, b);
      covariance /= double(z.rows());
      // Identity on the 8 lit pixels, less the regularizer's damping (ε / λ ~ 1e-4); 0 on pixel 4.
      const double want = a == b && a != 4 ? 1.0 : 0.0;
      INFO("covariance(" << a << ", " << b << ") = " << covariance);
      REQUIRE(covariance == Approx(want).margin(2e-3));
    }
  }
  // The correlation was real: the raw pixels' covariance is far from diagonal.
  double raw_01 = 0, mean0 = 0, mean1 = 0;
  for (size_t i = 0; i < train.count; ++i) {
    mean0 += train.pixels[i * 9 + 0];
    mean1 += train.pixels[i * 9 + 1];
    raw_01 += double(train.pixels[i * 9 + 0]) * train.pixels[i * 9 + 1];
  }
  const double n = double(train.count);
  REQUIRE(raw_01 / n - mean0 / n * mean1 / n > 500);
  // A test image that lights pixel 4 is transformed as if it were dark there.
  auto test = images(1, 9, 3);
  auto dark = test;
  dark.pixels[4] = 0;
  REQUIRE(test.pixels[4] != 0);
  const Matrix<float> lit = transformed(t, test, 1.0f), unlit = transformed(t, dark, 1.0f);
  REQUIRE(std::memcmp(lit.data(), unlit.data(), 9 * sizeof(float)) == 0);
}

TEST_CASE("the whitening fit is the same to the bit for 1, 2 and 8 threads", "[app]") {
  const auto train = images(3000, 7, 4);
  const int saved = num_threads();
  std::vector<identity::InputTransform> fits;
  for (int threads : {1, 2, 8}) {
    set_num_threads(threads);
    fits.push_back(
        identity::fit_input_transform(Precondition::kWhiten, train, train.count, 1.0f / 255));
  }
  set_num_threads(saved);
  for (size_t i = 1; i < fits.size(); ++i) {
    REQUIRE(std::memcmp(fits[0].matrix.data(), fits[i].matrix.data(), 81 * sizeof(float)) == 0);
    REQUIRE(std::memcmp(fits[0].offset.data(), fits[i].offset.data(), 9 * sizeof(float)) == 0);
  }
}

}  // namespace simdgrad::testing
