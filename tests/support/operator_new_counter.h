// Counts heap allocations in a test program that links operator_new_counter.cc: calls to the
// global operator new (which it replaces), or under AddressSanitizer every allocation.
#pragma once

#include <cstddef>

namespace simdgrad::testing {
size_t operator_new_count();
}
