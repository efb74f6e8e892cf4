// The attribute of every function and lambda in lib/ whose work is software prefetching.
//
// GCC counts __builtin_prefetch as free of side effects, so to its interprocedural analysis a
// function or lambda that only prefetches is const, and it deletes the calls, prefetches and
// all (GCC 12, from -O1): the helper compiles to nothing. Whether the optimizer inlines it
// first is a heuristic (the packing's prefetching lambda was inlined at -O3 and deleted at
// -O2); inlined always, into a caller whose other work has effects, the prefetches stay.
// tests/lib/check_prefetches_compiled.sh checks the compiled library's line tables.
#pragma once

#define SIMDGRAD_PREFETCHING __attribute__((always_inline))
