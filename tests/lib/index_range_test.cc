// The balanced split and the round-ups every parallel piece of simdgrad uses.
#include <catch2/catch.hpp>

#include "simdgrad/index_range.h"

namespace simdgrad::testing {

TEST_CASE("balanced parts tile the range in order, sizes differing by at most one", "[lib]") {
  for (size_t count : {0, 1, 7, 128, 615440}) {
    for (size_t parts : {1, 2, 3, 7, 16, 200}) {
      INFO("count " << count << ", parts " << parts);
      const IndexRange whole{5, 5 + count};
      size_t next = whole.begin, smallest = count, largest = 0;
      for (size_t p = 0; p < parts; ++p) {
        const IndexRange part = balanced_part(whole, p, parts);
        REQUIRE(part.begin == next);
        REQUIRE(part.begin <= part.end);
        next = part.end;
        smallest = std::min(smallest, part.size());
        largest = std::max(largest, part.size());
      }
      REQUIRE(next == whole.end);
      REQUIRE(largest - smallest <= 1);
      REQUIRE(balanced_part(count, parts - 1, parts).end == count);
    }
  }
  // The boundaries OpenMP's static schedule and the data-parallel shares have always had.
  REQUIRE(balanced_part(10, 1, 3) == IndexRange{3, 6});
  REQUIRE(balanced_part(10, 2, 3) == IndexRange{6, 10});
}

TEST_CASE("clamping and rebasing a range", "[lib]") {
  const IndexRange member{100, 150};
  REQUIRE(IndexRange{90, 120}.clamped_to(member) == IndexRange{100, 120});
  REQUIRE(IndexRange{120, 200}.clamped_to(member) == IndexRange{120, 150});
  REQUIRE(IndexRange{0, 50}.clamped_to(member).empty());
  REQUIRE(IndexRange{160, 170}.clamped_to(member).empty());
  REQUIRE(IndexRange{110, 130}.relative_to(100) == IndexRange{10, 30});
}

TEST_CASE("div_ceil and round_up round up, and only when they must", "[lib]") {
  REQUIRE(div_ceil(0, 8) == 0);
  REQUIRE(div_ceil(8, 8) == 1);
  REQUIRE(div_ceil(9, 8) == 2);
  REQUIRE(round_up(0, 64) == 0);
  REQUIRE(round_up(64, 64) == 64);
  REQUIRE(round_up(65, 64) == 128);
}

}  // namespace simdgrad::testing
