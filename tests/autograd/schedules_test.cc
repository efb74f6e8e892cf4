// Learning-rate schedules against their formulas, and an optimizer driven by one.
#include <catch2/catch.hpp>

#include <cmath>
#include <numbers>

#include "simdgrad/autograd/optimizers.h"
#include "simdgrad/autograd/schedules.h"

namespace simdgrad::testing {

using autograd::LearningRateSchedule;
using autograd::ScheduleShape;

TEST_CASE("a warm-up rises linearly to the peak, then constant holds it", "[autograd]") {
  const LearningRateSchedule s{1e-3, ScheduleShape::kConstant, 4, 10};
  REQUIRE(s.at(0) == Approx(0.25e-3));
  REQUIRE(s.at(1) == Approx(0.50e-3));
  REQUIRE(s.at(3) == Approx(1e-3));
  REQUIRE(s.at(4) == 1e-3);
  REQUIRE(s.at(9) == 1e-3);
  REQUIRE(s.at(1000) == 1e-3);
}

TEST_CASE("the cosine schedule falls from the peak to 0 over the steps after the warm-up",
          "[autograd]") {
  const LearningRateSchedule s{0.1, ScheduleShape::kCosine, 2, 12};
  REQUIRE(s.at(0) == Approx(0.05));
  REQUIRE(s.at(2) == Approx(0.1));  // the first step after the warm-up runs at the peak
  for (size_t step = 2; step < 12; ++step) {
    const double progress = double(step - 2) / 10.0;
    REQUIRE(s.at(step) == Approx(0.05 * (1 + std::cos(std::numbers::pi * progress))));
    if (step > 2) REQUIRE(s.at(step) < s.at(step - 1));
  }
  REQUIRE(s.at(7) == Approx(0.05));  // half way down at half the decay
  REQUIRE(s.at(11) > 0);             // the last step still moves
  REQUIRE(s.at(12) == 0);
  REQUIRE(s.at(100) == 0);
}

TEST_CASE("a schedule rejects a warm-up longer than the run and a bad peak", "[autograd]") {
  REQUIRE_THROWS_WITH((LearningRateSchedule{1e-3, ScheduleShape::kCosine, 11, 10}.at(0)),
                      Catch::Contains("warm-up steps exceed"));
  REQUIRE_THROWS_WITH((LearningRateSchedule{NAN, ScheduleShape::kConstant, 0, 10}.at(0)),
                      Catch::Contains("peak must be finite"));
  REQUIRE_THROWS_WITH((LearningRateSchedule{-1.0, ScheduleShape::kConstant, 0, 10}.at(0)),
                      Catch::Contains("peak must be finite"));
}

TEST_CASE("an optimizer steps with the rate set before each step", "[autograd]") {
  autograd::Parameter<double> p("p", 1, 1);
  autograd::Sgd<double> opt({&p}, 0.5);
  REQUIRE(opt.learning_rate() == 0.5);
  const LearningRateSchedule s{0.5, ScheduleShape::kCosine, 1, 3};
  double expected = 0;
  for (int i = 0; i < 4; ++i) {
    opt.set_learning_rate(s.at(size_t(opt.iterations())));
    p.grad(0, 0) = 1.0;
    opt.step();
    expected -= s.at(size_t(i));
    REQUIRE(p.value(0, 0) == Approx(expected).epsilon(1e-15));
  }
  REQUIRE(opt.learning_rate() == 0);  // step 3 is past the run's 3 steps
}

}  // namespace simdgrad::testing
