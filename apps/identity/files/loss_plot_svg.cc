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

}  // namespace

std::string loss_plot_svg(const std::string& title, const std::string& y_label,
                          const std::vector<PlotSeries>& series, const std::string& x_label) {
  const double width = 980, height = 440, left = 80, right = 400, top = 40, bottom = 60;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  size_t epochs = 1;
  double low = 1e300, high = -1e300;
  bool log_x = !series.empty();
  double x_low = 1e300, x_high = -1e300;
  for (const auto& s : series) {
    epochs = std::max(epochs, s.values.size());
    for (double v : s.values) {
      if (v > 0 && std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
    }
    log_x = log_x && s.x.size() == s.values.size();
    for (double x : s.x) {
      if (x > 0) x_low = std::min(x_low, x), x_high = std::max(x_high, x);
    }
  }
  log_x = log_x && x_low <= x_high;
  const double x_decade_low = log_x ? std::floor(std::log10(x_low)) : 0;
  const double x_span = log_x ? std::max(1.0, std::ceil(std::log10(x_high)) - x_decade_low) : 1;
  if (low > high) low = 1, high = 10;
  const double decade_low = std::floor(std::log10(low)), decade_high = std::ceil(std::log10(high));
  const double span = std::max(1.0, decade_high - decade_low);
  auto x_of = [&](double epoch) {
    if (log_x) return left + (std::log10(epoch) - x_decade_low) / x_span * plot_w;
    return left + (epochs == 1 ? 0.5 : (epoch - 1) / double(epochs - 1)) * plot_w;
  };
  auto tick = [&](double x, const std::string& label) {
    return format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                  x_of(x), top + plot_h, x_of(x), top + plot_h + 5) +
           format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x_of(x),
                  top + plot_h + 18) +
           label + "</text>\n";
  };
  auto y_of = [&](double v) { return top + (decade_low + span - std::log10(v)) / span * plot_h; };

  std::string svg = format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
      "fill=\"white\"/>\n",
      width, height);
  svg += format("<text x=\"%.0f\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">",
                left + plot_w / 2) +
         escape(title) + "</text>\n";
  // Decade grid and labels.
  for (double d = decade_low; d <= decade_low + span + 1e-9; d += 1) {
    const double y = y_of(std::pow(10.0, d));
    svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", left,
                  y, left + plot_w, y);
    svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">1e%.0f</text>\n", left - 6,
                  y + 4, d);
  }
  if (log_x) {  // decade ticks
    for (double d = x_decade_low; d <= x_decade_low + x_span + 1e-9; d += 1) {
      svg += tick(std::pow(10.0, d), format("1e%.0f", d));
    }
  } else {  // epoch ticks: about ten
    const size_t step = std::max<size_t>(1, (epochs + 9) / 10);
    for (size_t e = 1; e <= epochs; e += step) svg += tick(double(e), format("%.0f", double(e)));
  }
  svg += format(
      "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
      "stroke=\"#333\"/>\n",
      left, top, plot_w, plot_h);
  svg += format("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", left + plot_w / 2,
                height - 18) +
         escape(x_label) + (log_x ? " (log scale)" : "") + "</text>\n";
  svg += format("<text transform=\"translate(20 %.1f) rotate(-90)\" text-anchor=\"middle\">",
                top + plot_h / 2) +
         escape(y_label) + " (log scale)</text>\n";
  for (size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const char* color = kColors[i % std::size(kColors)];
    // Past the palette, lines repeat its colors dashed, so no two series look alike.
    const bool dashed = s.dashed != ((i / std::size(kColors)) % 2 == 1);
    std::string points;
    for (size_t e = 0; e < s.values.size(); ++e) {
      if (s.values[e] > 0 && std::isfinite(s.values[e])) {
        if (log_x && !(s.x[e] > 0)) continue;
        points += format("%.1f,%.1f ", x_of(log_x ? s.x[e] : double(e + 1)), y_of(s.values[e]));
      }
    }
    svg += std::string("<polyline fill=\"none\" stroke=\"") + color + "\" stroke-width=\"2\"" +
           (dashed ? " stroke-dasharray=\"6 4\"" : "") + " points=\"" + points + "\"/>\n";
    const double ly = top + 12 + 20 * double(i);
    svg += format("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke-width=\"2\" ",
                  left + plot_w + 14, ly, left + plot_w + 40, ly) +
           "stroke=\"" + color + "\"" + (dashed ? " stroke-dasharray=\"6 4\"" : "") + "/>\n";
    svg += format("<text x=\"%.1f\" y=\"%.1f\">", left + plot_w + 46, ly + 4) + escape(s.label) +
           "</text>\n";
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace simdgrad::identity
