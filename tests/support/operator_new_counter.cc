// Counts heap allocations so a test can assert that a code path makes none.
//
// Normally it replaces the global operator new (every form routes through these two) with one
// that counts its calls. Under AddressSanitizer, which owns operator new and free, it counts
// through the sanitizer's malloc hook instead (every allocation, malloc included).
#include "tests/support/operator_new_counter.h"
#include "simdgrad/index_range.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<size_t> g_allocations{0};
}

namespace simdgrad::testing {
size_t operator_new_count() { return g_allocations.load(); }
}  // namespace simdgrad::testing

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime's public interface (sanitizer/allocator_interface.h, which gcc's
// packages do not always ship).
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*,
                                                                             size_t),
                                                         void (*free_hook)(const volatile void*));

namespace {
void on_allocation(const volatile void*, size_t) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
}
void on_free(const volatile void*) {}
[[maybe_unused]] const int g_hooks_installed =
    __sanitizer_install_malloc_and_free_hooks(on_allocation, on_free);
}  // namespace

#else

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}

void* operator new(std::size_t size, std::align_val_t alignment) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const std::size_t a = static_cast<std::size_t>(alignment);
  if (void* p = std::aligned_alloc(a, simdgrad::round_up(size, a))) return p;
  throw std::bad_alloc();
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

#endif
