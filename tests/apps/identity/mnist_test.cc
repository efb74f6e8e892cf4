// The app's view of MNIST: the library's reader, bytes kept as stored, a factor for the scale.
#include <catch2/catch.hpp>

#include "apps/identity/data/mnist.h"
#include "tests/support/idx_files.h"

namespace simdgrad::testing {

TEST_CASE("load_mnist keeps one byte per pixel and the scale is a factor", "[app]") {
  for (bool gzip : {false, true}) {
    const auto folder = tiny_mnist(gzip ? "app-mnist-gz" : "app-mnist-raw", gzip);
    const auto m = identity::load_mnist(folder);
    REQUIRE(m.train.count == 3);
    REQUIRE(m.train.pixels_per_image() == 4);
    REQUIRE(m.train.pixels[11] == uint8_t(11 * 7));
    REQUIRE(m.test.labels == std::vector<uint8_t>{4, 5});
    REQUIRE(m.folder == folder);
  }
  REQUIRE(identity::pixel_factor(identity::PixelScale::kRaw) == 1.0f);
  REQUIRE(identity::pixel_factor(identity::PixelScale::kUnit) == 1.0f / 255.0f);
}

TEST_CASE("load_mnist says how to get MNIST when the folder is missing", "[app]") {
  const auto folder = fresh_folder("app-mnist-none") / "absent";
  REQUIRE_THROWS_WITH(identity::load_mnist(folder),
                      folder.string() +
                          ": no such folder (pass --data DIR, or run ./run.sh, "
                          "which fetches MNIST into data/mnist)");
}

}  // namespace simdgrad::testing
