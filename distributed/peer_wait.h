// A wait on other processes that cannot hang forever: a stopped or hung peer (SIGSTOP, a stuck
// file system, a scheduler that does not kill on a bad exit) would otherwise keep every other
// process spinning at full speed for as long as the job lives.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "simdgrad/distributed/communicator.h"

namespace simdgrad::distributed {

// The exit code of a run ended because a peer did not answer within its deadline.

// A hint to the core that this thread is spinning (x86 PAUSE, aarch64 YIELD).
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Returns once done() is true. Backs off while it waits: pause instructions first (a peer a
// few microseconds behind), then yields for the first 5 ms (with more processes than cores,
// the one waited for may need this core), then 200 µs sleeps. Once timeout_seconds have passed
// the run ends (Communicator::abort, kPeerTimeoutExitCode) with one line: "waited <timeout> s
// for " + describe(), which names the peer and what was expected of it; timeout_seconds is the
// communicator's peer_timeout_seconds().
template <class Done, class Describe>
void wait_for_peer(const Communicator& communicator, Done&& done, Describe&& describe) {
  const double timeout_seconds = communicator.peer_timeout_seconds();
  using Clock = std::chrono::steady_clock;
  for (int spin = 0; spin < 64; ++spin) {
    if (done()) return;
    cpu_relax();
  }
  Clock::time_point start = Clock::now(), last = start;
  const auto polite = std::chrono::milliseconds(5);
  const auto deadline = std::chrono::duration<double>(timeout_seconds);
  while (!done()) {
    const Clock::time_point now = Clock::now();
    // A second between two checks (each sleeps 200 µs at most): this process was stopped, not
    // its peer. The time it did not run does not count against the peer.
    if (now - last > std::chrono::seconds(1)) start += now - last;
    last = now;
    const Clock::duration waited = now - start;
    if (waited > deadline) {
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%g", timeout_seconds);
      communicator.abort(
          Communicator::kPeerTimeoutExitCode,
          std::string("waited ") + seconds + " s for " + describe() + "; ending the run");
    }
    if (waited < polite) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
}

}  // namespace simdgrad::distributed
