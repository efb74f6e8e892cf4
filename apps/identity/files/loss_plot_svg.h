// Line plots as SVG: log-scale y axis with decade ticks, x axis counting from 1 (epochs unless
// said otherwise) or, for series that give their own x, a log-scale x axis; axis labels, a legend.
// Used for loss.svg of a run and for the study's figures.
#pragma once

#include <string>
#include <vector>

namespace simdgrad::identity {

struct PlotSeries {
  std::string label;
  std::vector<double> values;  // one per x = 1, 2, ...; non-positive values are skipped
  bool dashed = false;
  std::vector<double> x;  // if given (every series, all > 0): x of each value, log axis
};

// Returns the SVG document.
std::string loss_plot_svg(const std::string& title, const std::string& y_label,
                          const std::vector<PlotSeries>& series,
                          const std::string& x_label = "epoch");

}  // namespace simdgrad::identity
