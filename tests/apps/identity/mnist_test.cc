// The app's view of MNIST: the library's reader, pixels as float at the experiment's scale.
#include <catch2/catch.hpp>

#include "apps/identity/mnist.h"
#include "tests/support/idx_files.h"

namespace simdgrad::testing {

TEST_CASE("load_mnist converts pixels raw or to unit scale", "[app]") {
  for (bool gzip : {false, true}) {
    const auto folder = tiny_mnist(gzip ? "app-mnist-gz" : "app-mnist-raw", gzip);
    const auto raw = identity::load_mnist(folder, identity::PixelScale::kRaw);
    REQUIRE(raw.train.images.rows() == 3);
    REQUIRE(raw.train.images.cols() == 4);
    REQUIRE(raw.train.images(2, 3) == float(uint8_t(11 * 7)));
    REQUIRE(raw.test.labels == std::vector<uint8_t>{4, 5});
    const auto unit = identity::load_mnist(folder, identity::PixelScale::kUnit);
    REQUIRE(unit.train.images(2, 3) == float(uint8_t(11 * 7)) / 255.0f);
  }
}

TEST_CASE("load_mnist says how to get MNIST when the folder is missing", "[app]") {
  const auto folder = fresh_folder("app-mnist-none") / "absent";
  REQUIRE_THROWS_WITH(identity::load_mnist(folder, identity::PixelScale::kRaw),
                      folder.string() + ": no such folder (pass --data DIR, or run ./run.sh, "
                                        "which fetches MNIST into data/mnist)");
}

}  // namespace simdgrad::testing
