// common/plot.h -- SVG line charts for loss and accuracy curves.
//
// A chart has several named series (x, y points), axes with tick labels, axis titles,
// a title and a legend. A log-scale y axis shows decaying quantities (gradient norms).
// The output is a self-contained SVG file any browser shows.
#pragma once

#include <string>
#include <vector>

namespace common {

struct Series {
  std::string name{};
  std::vector<double> x{}, y{};
  bool markers = false;  // draw a dot at each point (for short series)
  bool line = true;      // connect the points
};

struct ChartOptions {
  std::string title{}, x_label{}, y_label{};
  bool log_y = false;  // non-positive values are left out on a log axis
  int width = 720, height = 440;
};

std::string svg_line_chart(const std::vector<Series>& series, const ChartOptions& options);
void write_svg_line_chart(const std::string& path, const std::vector<Series>& series,
                          const ChartOptions& options);  // atomic

}  // namespace common
