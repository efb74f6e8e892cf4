// A small, fast, seedable random generator (xoshiro256**, seeded through SplitMix64) whose
// stream is fixed by this code alone: the same seed gives the same numbers on every platform,
// standard library and thread count (std::uniform_real_distribution promises none of that).
// Its state is four words, so a checkpoint can save and restore it exactly.
#pragma once

#include <array>
#include <cstdint>

namespace simdgrad::autograd {

class Random {
 public:
  using State = std::array<uint64_t, 4>;

  explicit Random(uint64_t seed = 0);
  uint64_t next();
  // Uniform in [0, 1), 53 random bits.
  double uniform();
  // Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform(); }
  // Standard normal (Box–Muller; one draw per call, two uniforms consumed).
  double normal();
  // Uniform integer in [0, n), without modulo bias.
  uint64_t below(uint64_t n);

  State state() const { return state_; }
  void set_state(const State& state) { state_ = state; }

 private:
  State state_;
};

}  // namespace simdgrad::autograd
