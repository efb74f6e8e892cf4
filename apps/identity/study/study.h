// The study: the identity experiment run as the original recipe and as the variations that
// answer why it is hard, written up as docs/identity-study.md with its figures.
#pragma once

#include <cstdint>
#include <string>

namespace simdgrad::identity {

struct StudyOptions {
  bool quick = false;
  std::string data = "data/mnist";
  std::string out;  // empty: docs/ (full) or runs/study-quick/ (quick)
  uint64_t seed = 1;
};
int run_study(const StudyOptions& options);

}  // namespace simdgrad::identity
