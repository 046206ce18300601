// common/plot.cpp -- see plot.h.
//
// Sections: text helpers, axes (the data range, "nice" ticks, log decades), the chart.
//
// The chart is drawn in SVG's coordinate system: pixels, origin at the top-left, y
// growing downwards. Data coordinates are mapped into the plot area, the rectangle
// inside the margins that hold the tick labels, axis titles and the chart title.
#include "plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "error.h"
#include "files.h"

namespace common {

namespace {

// --- Text helpers -------------------------------------------------------------------

// Series names and titles are user text inside XML: the five characters with a meaning
// in XML must be written as entities.
std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Pixel coordinates with two decimals: precise enough, and keeps the file small.
std::string px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2f", v);
  return buf;
}

// A tick label: as many decimals as the tick step needs (step 0.25 -> "0.75"), or
// scientific notation for very large or very small numbers.
std::string tick_label(double value, double step) {
  char buf[32];
  if (std::fabs(value) < step * 1e-9) value = 0.0;  // -1.4e-17 from rounding is "0"
  const double magnitude = std::max(std::fabs(value), step);
  if (magnitude >= 1e6 || magnitude < 1e-4) {
    std::snprintf(buf, sizeof(buf), "%g", value);
  } else {
    const int decimals = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  }
  return buf;
}

// A decade label on a log axis: 0.001, 0.01 ... 10000 written out, 1e-4, 1e5 beyond.
std::string decade_label(int exponent) {
  char buf[32];
  if (exponent >= -3 && exponent <= 4) {
    std::snprintf(buf, sizeof(buf), "%.*f", std::max(0, -exponent), std::pow(10.0, exponent));
  } else {
    std::snprintf(buf, sizeof(buf), "1e%d", exponent);
  }
  return buf;
}

// --- Axes ---------------------------------------------------------------------------

// An axis: the data interval [lo, hi] shown along it and the positions of its ticks,
// in data units (in log10 units for a log axis).
struct Axis {
  double lo = 0.0, hi = 1.0;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

// "Nice" numbers for tick steps: 1, 2 or 5 times a power of ten. Of these, the
// smallest step that gives at most `max_ticks` intervals over [lo, hi].
double nice_step(double lo, double hi, int max_ticks) {
  const double raw = (hi - lo) / max_ticks;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * power >= raw) return factor * power;
  }
  return 10.0 * power;
}

// A linear axis covering [lo, hi] (the finite data range), widened outwards to whole
// tick steps so the first and last ticks sit on the ends of the axis.
Axis linear_axis(double lo, double hi) {
  // A range too narrow to divide into ticks -- a constant series, a single point, values
  // that differ only in their last digits -- is widened to a band around its middle:
  // +-10% of the value, or +-1 around (nearly) zero.
  const double magnitude = std::max(std::fabs(lo), std::fabs(hi));
  if (hi - lo <= magnitude * 1e-9 || hi - lo < 1e-300) {
    const double pad = magnitude > 1e-300 ? magnitude * 0.1 : 1.0;
    const double mid = lo / 2 + hi / 2;
    lo = mid - pad;
    hi = mid + pad;
  }
  const double step = nice_step(lo, hi, 6);
  Axis axis;
  axis.lo = std::floor(lo / step) * step;
  axis.hi = std::ceil(hi / step) * step;
  // About 6 intervals by construction; the cap only guards against rounding surprises
  // in extreme ranges (subnormal numbers).
  const int n = static_cast<int>(std::min(50.0, std::round((axis.hi - axis.lo) / step)));
  for (int i = 0; i <= n; ++i) {
    const double t = axis.lo + i * step;
    axis.ticks.push_back(t);
    axis.labels.push_back(tick_label(t, step));
  }
  return axis;
}

// A log axis over positive [lo, hi]: whole decades 10^k, in log10 units. With many
// decades only every second (third ...) one is labelled, so labels never crowd.
Axis log_axis(double lo, double hi) {
  int first = static_cast<int>(std::floor(std::log10(lo)));
  int last = static_cast<int>(std::ceil(std::log10(hi)));
  if (first == last) ++last;  // all values are one power of ten: show one decade
  const int every = std::max(1, (last - first + 7) / 8);
  Axis axis;
  axis.lo = first;
  axis.hi = last;
  for (int k = first; k <= last; ++k) {
    if ((k - first) % every != 0) continue;
    axis.ticks.push_back(k);
    axis.labels.push_back(decade_label(k));
  }
  return axis;
}

// A point is drawn when both coordinates are finite (and y > 0 on a log axis). Values
// beyond +-1e300 are left out too: the width of the range between two of them could
// overflow to infinity, and no training curve needs them.
bool usable(double x, double y, bool log_y) {
  const double kLimit = 1e300;
  return std::fabs(x) <= kLimit && std::fabs(y) <= kLimit && (!log_y || y > 0.0);
}

// Colours for the series, in order, chosen to be told apart on a white background.
const char* series_colour(size_t i) {
  static const char* kColours[] = {"#1f5fbf", "#e0661a", "#2a9d3a", "#c42b3c", "#7b4fc9",
                                   "#8c5a3c", "#d6479f", "#5f6b73", "#a3a121", "#17a2b8"};
  return kColours[i % (sizeof(kColours) / sizeof(kColours[0]))];
}

}  // namespace

// --- The chart ----------------------------------------------------------------------

std::string svg_line_chart(const std::vector<Series>& series, const ChartOptions& options) {
  for (const Series& s : series) {
    if (s.x.size() != s.y.size()) {
      throw Error("svg_line_chart: series '" + s.name + "' has " + std::to_string(s.x.size()) +
                  " x values but " + std::to_string(s.y.size()) + " y values");
    }
  }
  const bool log_y = options.log_y;

  // The range of the drawable data.
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;
  for (const Series& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i], log_y)) continue;
      x_min = std::min(x_min, s.x[i]), x_max = std::max(x_max, s.x[i]);
      y_min = std::min(y_min, s.y[i]), y_max = std::max(y_max, s.y[i]);
    }
  }
  const bool has_data = x_min <= x_max;
  if (!has_data) x_min = 0, x_max = 1, y_min = log_y ? 1 : 0, y_max = log_y ? 10 : 1;
  const Axis x_axis = linear_axis(x_min, x_max);
  const Axis y_axis = log_y ? log_axis(y_min, y_max) : linear_axis(y_min, y_max);

  // Layout: margins for the title (top), tick labels and axis titles (left, bottom).
  const double width = std::max(options.width, 200), height = std::max(options.height, 150);
  const double left = 72, right = 20, top = options.title.empty() ? 20 : 44, bottom = 56;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  auto map_x = [&](double x) { return left + (x - x_axis.lo) / (x_axis.hi - x_axis.lo) * plot_w; };
  auto map_y = [&](double y) {
    const double v = log_y ? std::log10(y) : y;
    return top + plot_h - (v - y_axis.lo) / (y_axis.hi - y_axis.lo) * plot_h;
  };

  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + px(width) + "\" height=\"" +
         px(height) + "\" viewBox=\"0 0 " + px(width) + " " + px(height) +
         "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  if (!options.title.empty()) {
    svg += "<text x=\"" + px(left + plot_w / 2) + "\" y=\"26\" text-anchor=\"middle\" " +
           "font-size=\"16\">" + xml_escape(options.title) + "</text>\n";
  }

  // Grid lines and tick labels. Tick positions come in axis units; y ticks of a log axis
  // are exponents, so they are mapped directly rather than through map_y's log10.
  for (size_t i = 0; i < x_axis.ticks.size(); ++i) {
    const std::string x = px(map_x(x_axis.ticks[i]));
    svg += "<line x1=\"" + x + "\" y1=\"" + px(top) + "\" x2=\"" + x + "\" y2=\"" +
           px(top + plot_h) + "\" stroke=\"#e4e4e4\"/>\n";
    svg += "<text x=\"" + x + "\" y=\"" + px(top + plot_h + 16) + "\" text-anchor=\"middle\">" +
           x_axis.labels[i] + "</text>\n";
  }
  for (size_t i = 0; i < y_axis.ticks.size(); ++i) {
    const double t = y_axis.ticks[i];
    const std::string y = px(top + plot_h - (t - y_axis.lo) / (y_axis.hi - y_axis.lo) * plot_h);
    svg += "<line x1=\"" + px(left) + "\" y1=\"" + y + "\" x2=\"" + px(left + plot_w) + "\" y2=\"" +
           y + "\" stroke=\"#e4e4e4\"/>\n";
    svg += "<text x=\"" + px(left - 6) + "\" y=\"" + y +
           "\" text-anchor=\"end\" dominant-baseline=\"middle\">" + y_axis.labels[i] + "</text>\n";
  }
  // The axes: the frame of the plot area.
  svg += "<rect x=\"" + px(left) + "\" y=\"" + px(top) + "\" width=\"" + px(plot_w) +
         "\" height=\"" + px(plot_h) + "\" fill=\"none\" stroke=\"#333\"/>\n";
  if (!options.x_label.empty()) {
    svg += "<text x=\"" + px(left + plot_w / 2) + "\" y=\"" + px(height - 14) +
           "\" text-anchor=\"middle\">" + xml_escape(options.x_label) + "</text>\n";
  }
  if (!options.y_label.empty()) {
    const std::string cx = "18", cy = px(top + plot_h / 2);
    svg += "<text x=\"" + cx + "\" y=\"" + cy +
           "\" text-anchor=\"middle\" transform=\"rotate(-90 " + cx + " " + cy + ")\">" +
           xml_escape(options.y_label) + "</text>\n";
  }
  if (!has_data) {
    svg += "<text x=\"" + px(left + plot_w / 2) + "\" y=\"" + px(top + plot_h / 2) +
           "\" text-anchor=\"middle\" fill=\"#999\">no data</text>\n";
  }

  // The series: one path each, "M x y" to start and "L x y" to continue. A point that
  // cannot be drawn (NaN, Inf, y <= 0 on a log axis) breaks the line: the next good
  // point starts a new piece with "M" instead of joining across the gap.
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const std::string colour = series_colour(k);
    std::string d, dots;
    size_t drawn = 0;
    bool pen_down = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!usable(s.x[i], s.y[i], log_y)) {
        pen_down = false;
        continue;
      }
      const std::string x = px(map_x(s.x[i])), y = px(map_y(s.y[i]));
      if (!d.empty()) d += ' ';
      d += pen_down ? 'L' : 'M';
      d += x + ' ' + y;
      dots += "<circle cx=\"" + x + "\" cy=\"" + y + "\" r=\"3\" fill=\"" + colour + "\"/>\n";
      pen_down = true;
      ++drawn;
    }
    if (drawn == 0) continue;
    if (s.line) {
      svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + colour +
             "\" stroke-width=\"1.5\" stroke-linejoin=\"round\"/>\n";
    }
    // A line through one point is invisible, so a lone point always gets its dot.
    if (s.markers || drawn == 1 || !s.line) svg += dots;
  }

  // The legend, top-right inside the plot area, on a translucent white box. Text width
  // is estimated at 7 pixels per character (SVG cannot measure text for us).
  if (!series.empty()) {
    size_t longest = 0;
    for (const Series& s : series) longest = std::max(longest, s.name.size());
    const double box_w = 36 + 7.0 * static_cast<double>(longest);
    const double box_h = 8 + 18.0 * static_cast<double>(series.size());
    const double bx = left + plot_w - box_w - 8, by = top + 8;
    svg += "<rect x=\"" + px(bx) + "\" y=\"" + px(by) + "\" width=\"" + px(box_w) + "\" height=\"" +
           px(box_h) + "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
    for (size_t k = 0; k < series.size(); ++k) {
      const double y = by + 4 + 18.0 * static_cast<double>(k) + 9;
      // The key shows what the series draws: a line, a dot, or both.
      const Series& s = series[k];
      if (s.line) {
        svg += "<line x1=\"" + px(bx + 6) + "\" y1=\"" + px(y) + "\" x2=\"" + px(bx + 26) +
               "\" y2=\"" + px(y) + "\" stroke=\"" + series_colour(k) + "\" stroke-width=\"2\"/>\n";
      }
      if (s.markers || !s.line) {
        svg += "<circle cx=\"" + px(bx + 16) + "\" cy=\"" + px(y) + "\" r=\"3\" fill=\"" +
               series_colour(k) + "\"/>\n";
      }
      svg += "<text x=\"" + px(bx + 30) + "\" y=\"" + px(y) + "\" dominant-baseline=\"middle\">" +
             xml_escape(s.name) + "</text>\n";
    }
  }

  svg += "</svg>\n";
  return svg;
}

void write_svg_line_chart(const std::string& path, const std::vector<Series>& series,
                          const ChartOptions& options) {
  write_file_atomic(path, svg_line_chart(series, options));
}

}  // namespace common
