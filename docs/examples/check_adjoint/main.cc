// A hand-written gradient that never touches simdgrad's tape, checked by finite differences
// with check_gradient(): the potential energy of a chain of springs in the plane.
//
//   check_adjoint             checks the gradient, prints the report, exits 0 when it passes
//   check_adjoint --wrong     the same with a deliberate slip in the gradient: the check must
//                             fail, and the report names the entries and by how much
//
// n masses at positions (x_i, y_i), neighbours joined by springs of stiffness k and rest length
// L, all under gravity g: E = Σ_i k/2 (|p_{i+1} − p_i| − L)² + Σ_i m g y_i.
#include <simdgrad/simdgrad.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <span>
#include <vector>

namespace {

constexpr double kStiffness = 40, kRestLength = 0.5, kMassTimesGravity = 0.8;

// The positions are x = (x_0, y_0, x_1, y_1, ...).
double energy(std::span<const double> x) {
  double e = 0;
  for (size_t i = 0; i + 3 < x.size(); i += 2) {
    const double stretch = std::hypot(x[i + 2] - x[i], x[i + 3] - x[i + 1]) - kRestLength;
    e += kStiffness / 2 * stretch * stretch;
  }
  for (size_t i = 1; i < x.size(); i += 2) e += kMassTimesGravity * x[i];
  return e;
}

// dE/dx by hand: each spring pulls its two ends along the line joining them. `slip` scales
// the spring force on the second end by 1 + slip, the kind of error a wrong index or a lost
// factor makes.
std::vector<double> energy_gradient(std::span<const double> x, double slip) {
  std::vector<double> g(x.size(), 0.0);
  for (size_t i = 0; i + 3 < x.size(); i += 2) {
    const double dx = x[i + 2] - x[i], dy = x[i + 3] - x[i + 1];
    const double length = std::hypot(dx, dy);
    const double force = kStiffness * (length - kRestLength) / length;
    g[i] -= force * dx;
    g[i + 1] -= force * dy;
    g[i + 2] += force * dx * (1 + slip);
    g[i + 3] += force * dy * (1 + slip);
  }
  for (size_t i = 1; i < x.size(); i += 2) g[i] += kMassTimesGravity;
  return g;
}

}  // namespace

int main(int argc, char** argv) {
  const bool wrong = argc > 1 && std::strcmp(argv[1], "--wrong") == 0;
  // Eight masses on a sagging, wavy line.
  std::vector<double> positions;
  for (int i = 0; i < 8; ++i) {
    positions.push_back(0.6 * i);
    positions.push_back(-0.1 * i * (7 - i) + 0.05 * std::sin(3.0 * i));
  }
  const double slip = wrong ? 1e-6 : 0.0;
  const simdgrad::autograd::GradcheckReport report = simdgrad::autograd::check_gradient<double>(
      energy, [&](std::span<const double> x) { return energy_gradient(x, slip); }, positions);
  std::printf("spring chain, %zu coordinates, %s gradient:\n%s", positions.size(),
              wrong ? "a slipped" : "the hand-written", report.to_string().c_str());
  return report.passed ? 0 : 1;
}
