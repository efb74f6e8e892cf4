// Comparing a kernel's result of type T against a reference computed in double.
#pragma once

#include <cmath>
#include <limits>

namespace simdgrad::testing {

// Machine epsilon of T, as a double.
template <class T>
constexpr double epsilon_of() {
  return static_cast<double>(std::numeric_limits<T>::epsilon());
}

// True when |got - want| <= ulps * eps(T) * magnitude, where magnitude is the size of the
// terms that went into `want` (the result alone understates it after cancellation).
// ulps == 0 asks for the correctly rounded result: got == T(want), right for one IEEE
// operation (+ - * / sqrt) whose exact result `want` holds (double has >= 2p+2 bits of float).
template <class T>
bool close_to(T got, double want, double magnitude, double ulps = 4.0) {
  if (ulps == 0.0) return got == static_cast<T>(want);
  return std::abs(static_cast<double>(got) - want) <= ulps * epsilon_of<T>() * magnitude;
}

}  // namespace simdgrad::testing
