// SIGINT/SIGTERM become a flag the training loop polls between steps, so a run stops at a step
// boundary with its last checkpoint intact and exits 130 (SIGINT) or 143 (SIGTERM).
#pragma once

namespace simdgrad::identity {

void install_interrupt_handlers();
// 0 while running, else the signal number that asked us to stop.
int interrupt_signal();

}  // namespace simdgrad::identity
