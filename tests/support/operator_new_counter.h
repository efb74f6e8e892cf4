// Counts calls to the global operator new in a test program that links
// operator_new_counter.cc (which replaces operator new for the whole program).
#pragma once

#include <cstddef>

namespace simdgrad::testing {
size_t operator_new_count();
}
