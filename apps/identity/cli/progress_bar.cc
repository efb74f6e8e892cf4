#include "apps/identity/cli/progress_bar.h"

#include <cstdio>
#include <string>

namespace simdgrad::identity {

ProgressBar::ProgressBar(bool enabled)
    : enabled_(enabled), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

void ProgressBar::update(size_t done, size_t total, double loss) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  constexpr int kWidth = 30;
  const int filled = total ? int(kWidth * done / total) : kWidth;
  std::string bar(size_t(filled), '=');
  if (filled < kWidth) bar += '>' + std::string(size_t(kWidth - filled - 1), '.');
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done ? elapsed * double(total - done) / double(done) : 0.0;
  std::fprintf(stdout, "\r%zu/%zu [%s] - ETA: %.0fs - loss: %.4f", done, total, bar.c_str(), eta,
               loss);
  std::fflush(stdout);
}

void ProgressBar::finish() {
  if (!enabled_) return;
  std::fprintf(stdout, "\r\033[K");
  std::fflush(stdout);
}

}  // namespace simdgrad::identity
