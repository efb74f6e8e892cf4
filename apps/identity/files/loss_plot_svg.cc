#include "apps/identity/files/loss_plot_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace simdgrad::identity {
namespace {

const char* const kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                               "#9467bd", "#8c564b", "#e377c2", "#17becf"};

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else if (c == '&')
      out += "&amp;";
    else
      out += c;
  }
  return out;
}

std::string format(const char* pattern, double a, double b = 0, double c = 0, double d = 0) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, pattern, a, b, c, d);
  return buffer;
}

// The plot's axes: a log y axis over the series' positive values, and an x axis of epochs
// 1..N, or a log axis of the series' own x values when every series has them.
class PlotFrame {
 public:
  explicit PlotFrame(const std::vector<PlotSeries>& series) {
    double x_low = 1e300, x_high = -1e300, low = 1e300, high = -1e300;
    log_x_ = !series.empty();
    for (const auto& s : series) {
      epochs_ = std::max(epochs_, s.values.size());
      for (double v : s.values) {
        if (v > 0 && std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
      }
      log_x_ = log_x_ && s.x.size() == s.values.size();
      for (double x : s.x) {
        if (x > 0) x_low = std::min(x_low, x), x_high = std::max(x_high, x);
      }
    }
    log_x_ = log_x_ && x_low <= x_high;
    x_decade_low_ = log_x_ ? std::floor(std::log10(x_low)) : 0;
    x_span_ = log_x_ ? std::max(1.0, std::ceil(std::log10(x_high)) - x_decade_low_) : 1;
    if (low > high) low = 1, high = 10;
    decade_low_ = std::floor(std::log10(low));
    span_ = std::max(1.0, std::ceil(std::log10(high)) - decade_low_);
  }

  static constexpr double kWidth = 980, kHeight = 440, kLeft = 80, kRight = 400, kTop = 40,
                          kBottom = 60;
  static constexpr double kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;

  bool log_x() const { return log_x_; }
  double x_of(double epoch) const {
    if (log_x_) return kLeft + (std::log10(epoch) - x_decade_low_) / x_span_ * kPlotW;
    return kLeft + (epochs_ == 1 ? 0.5 : (epoch - 1) / double(epochs_ - 1)) * kPlotW;
  }
  double y_of(double v) const {
    return kTop + (decade_low_ + span_ - std::log10(v)) / span_ * kPlotH;
  }

  // The decade grid of the y axis with its labels.
  std::string y_grid() const {
    std::string svg;
    for (double d = decade_low_; d <= decade_low_ + span_ + 1e-9; d += 1) {
      const double y = y_of(std::pow(10.0, d));
      svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                    kLeft, y, kLeft + kPlotW, y);
      svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">1e%.0f</text>\n", kLeft - 6,
                    y + 4, d);
    }
    return svg;
  }

  // Decade ticks on a log x axis, else about ten epoch ticks.
  std::string x_ticks() const {
    std::string svg;
    if (log_x_) {
      for (double d = x_decade_low_; d <= x_decade_low_ + x_span_ + 1e-9; d += 1) {
        svg += tick(std::pow(10.0, d), format("1e%.0f", d));
      }
      return svg;
    }
    const size_t step = std::max<size_t>(1, (epochs_ + 9) / 10);
    for (size_t e = 1; e <= epochs_; e += step) svg += tick(double(e), format("%.0f", double(e)));
    return svg;
  }

 private:
  std::string tick(double x, const std::string& label) const {
    return format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                  x_of(x), kTop + kPlotH, x_of(x), kTop + kPlotH + 5) +
           format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x_of(x),
                  kTop + kPlotH + 18) +
           label + "</text>\n";
  }

  size_t epochs_ = 1;
  bool log_x_ = false;
  double x_decade_low_ = 0, x_span_ = 1, decade_low_ = 0, span_ = 1;
};

// The title, the axes' grid, ticks, box and labels.
std::string frame_svg(const PlotFrame& f, const std::string& title, const std::string& y_label,
                      const std::string& x_label) {
  using P = PlotFrame;
  std::string svg = format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n",
      P::kWidth, P::kHeight);
  svg += format("<text x=\"%.0f\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">",
                P::kLeft + P::kPlotW / 2) +
         escape(title) + "</text>\n";
  svg += f.y_grid() + f.x_ticks();
  svg += format(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
      "stroke=\"#333\"/>\n",
      P::kLeft, P::kTop, P::kPlotW, P::kPlotH);
  svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", P::kLeft + P::kPlotW / 2,
                P::kHeight - 18) +
         escape(x_label) + (f.log_x() ? " (log scale)" : "") + "</text>\n";
  svg += format("<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\">",
                P::kTop + P::kPlotH / 2) +
         escape(y_label) + " (log scale)</text>\n";
  return svg;
}

// Series i's line and its legend entry.
std::string series_svg(const PlotFrame& f, const PlotSeries& s, size_t i) {
  using P = PlotFrame;
  const char* color = kColors[i % std::size(kColors)];
  // Past the palette, lines repeat its colors dashed, so no two series look alike.
  const bool dashed = s.dashed != ((i / std::size(kColors)) % 2 == 1);
  std::string points;
  for (size_t e = 0; e < s.values.size(); ++e) {
    if (s.values[e] > 0 && std::isfinite(s.values[e])) {
      if (f.log_x() && !(s.x[e] > 0)) continue;
      points +=
          format("%.1f,%.1f ", f.x_of(f.log_x() ? s.x[e] : double(e + 1)), f.y_of(s.values[e]));
    }
  }
  std::string svg = std::string("<polyline fill=\"none\" stroke=\"") + color +
                    "\" stroke-width=\"2\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") +
                    " points=\"" + points + "\"/>\n";
  const double ly = P::kTop + 12 + 20 * double(i);
  svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-width=\"2\" ",
                P::kLeft + P::kPlotW + 14, ly, P::kLeft + P::kPlotW + 40, ly) +
         "stroke=\"" + color + "\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
  svg += format("<text x=\"%.1f\" y=\"%.1f\">", P::kLeft + P::kPlotW + 46, ly + 4) +
         escape(s.label) + "</text>\n";
  return svg;
}

}  // namespace

std::string loss_plot_svg(const std::string& title, const std::string& y_label,
                          const std::vector<PlotSeries>& series, const std::string& x_label) {
  const PlotFrame frame(series);
  std::string svg = frame_svg(frame, title, y_label, x_label);
  for (size_t i = 0; i < series.size(); ++i) svg += series_svg(frame, series[i], i);
  return svg + "</svg>\n";
}

}  // namespace simdgrad::identity
