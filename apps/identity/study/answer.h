// The study's conclusion: the answer to the author's question — what to look at, in what order,
// and which change fixes which mechanism — each claim carrying the measurement behind it.
#pragma once

#include <string>
#include <vector>

#include "apps/identity/analysis/conditioning.h"
#include "apps/identity/study/runs.h"

namespace simdgrad::identity {

std::string answer_section(const std::vector<Outcome>& all, const Conditioning& conditioning,
                           int seeds);

}  // namespace simdgrad::identity
