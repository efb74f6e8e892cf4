// Numbers and shares as the study's report writes them.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace simdgrad::identity {

// Two decimals in the usual range, three significant digits outside it, "—" for non-finite.
inline std::string number(double v) {
  char text[64];
  if (!std::isfinite(v)) return "—";
  if (v == 0) return "0";
  if (std::abs(v) >= 0.01 && std::abs(v) < 1e6) {
    std::snprintf(text, sizeof text, "%.2f", v);
  } else {
    std::snprintf(text, sizeof text, "%.3g", v);
  }
  return text;
}

// "26%".
inline std::string percent(double fraction) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0f%%", 100 * fraction);
  return text;
}

}  // namespace simdgrad::identity
