// Tests for common/plot.h: the SVG is well formed enough to open, has what it promises
// (series, legend, ticks, titles), and survives degenerate input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "error.h"
#include "files.h"
#include "plot.h"
#include "test_util.h"

namespace {

using common::ChartOptions;
using common::Series;

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) {
    ++n;
  }
  return n;
}

// Structural checks every chart must pass: one <svg> element wrapping everything, and
// every element that is opened is closed (ours are either self-closing or <text>).
void expect_well_formed(const std::string& svg) {
  EXPECT_EQ(svg.rfind("<svg", 0), 0u) << "must start with <svg";
  const std::string end = "</svg>\n";
  ASSERT_GE(svg.size(), end.size());
  EXPECT_EQ(svg.substr(svg.size() - end.size()), end);
  EXPECT_EQ(count(svg, "<svg"), 1);
  EXPECT_EQ(count(svg, "<text"), count(svg, "</text>"));
  EXPECT_EQ(count(svg, "<"), count(svg, ">"));
  // No number printed from a NaN or an infinity ("nan", "-inf" after a quote, space
  // or '>'; words such as "dominant-baseline" contain "nan" harmlessly).
  for (const char* before : {"\"", " ", ">", "-"}) {
    for (const char* word : {"nan", "inf"}) {
      EXPECT_EQ(svg.find(std::string(before) + word), std::string::npos) << before << word;
    }
  }
}

Series make_series(const std::string& name, std::vector<double> x, std::vector<double> y) {
  Series s;
  s.name = name;
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

TEST(Plot, LineChartWithSeveralSeries) {
  std::vector<Series> series = {make_series("train", {0, 1, 2, 3}, {2.3, 1.1, 0.7, 0.5}),
                                make_series("validation", {0, 1, 2, 3}, {2.4, 1.3, 0.9, 0.8}),
                                make_series("test", {0, 3}, {2.5, 0.9})};
  ChartOptions options;
  options.title = "Loss";
  options.x_label = "epoch";
  options.y_label = "cross-entropy (nats)";
  const std::string svg = common::svg_line_chart(series, options);
  expect_well_formed(svg);
  EXPECT_EQ(count(svg, "<path"), 3);  // one path per series
  for (const char* text :
       {">train<", ">validation<", ">test<", ">Loss<", ">epoch<", ">cross-entropy (nats)<"}) {
    EXPECT_NE(svg.find(text), std::string::npos) << text;
  }
  // Distinct colours for the three series.
  EXPECT_NE(svg.find("#1f5fbf"), std::string::npos);
  EXPECT_NE(svg.find("#e0661a"), std::string::npos);
  EXPECT_NE(svg.find("#2a9d3a"), std::string::npos);
  // Nice ticks: x from 0 to 3 in steps of 0.5, y from 0.5 to 2.5 in steps of 0.5.
  for (const char* tick : {">0.0<", ">1.5<", ">3.0<", ">2.5<"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  EXPECT_EQ(count(svg, "<circle"), 0);  // no markers asked for
}

TEST(Plot, NiceTicksForWholeNumbers) {
  const std::string svg =
      common::svg_line_chart({make_series("s", {0, 1000}, {0, 100})}, ChartOptions());
  for (const char* tick : {">0<", ">200<", ">1000<", ">20<", ">100<"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  EXPECT_EQ(svg.find(">1000.0<"), std::string::npos);
}

TEST(Plot, MarkersAndPointsOnly) {
  Series with_markers = make_series("m", {1, 2, 3}, {1, 2, 3});
  with_markers.markers = true;
  Series points_only = make_series("p", {1, 2}, {3, 1});
  points_only.line = false;
  const std::string svg = common::svg_line_chart({with_markers, points_only}, ChartOptions());
  expect_well_formed(svg);
  EXPECT_EQ(count(svg, "<path"), 1);
  EXPECT_EQ(count(svg, "<circle"), 3 + 2 + 2);  // data dots, plus one in each legend key
}

TEST(Plot, EscapesXmlInLabels) {
  ChartOptions options;
  options.title = "a < b & c > \"d\"";
  options.x_label = "it's";
  const std::string svg =
      common::svg_line_chart({make_series("<loss> & 'acc'", {0, 1}, {1, 0})}, options);
  expect_well_formed(svg);
  EXPECT_NE(svg.find("&lt;loss&gt; &amp; &apos;acc&apos;"), std::string::npos);
  EXPECT_NE(svg.find("a &lt; b &amp; c &gt; &quot;d&quot;"), std::string::npos);
  EXPECT_NE(svg.find("it&apos;s"), std::string::npos);
  EXPECT_EQ(svg.find("<loss>"), std::string::npos);
}

TEST(Plot, LogScaleShowsDecadesAndSkipsNonPositive) {
  ChartOptions options;
  options.log_y = true;
  const std::string svg = common::svg_line_chart(
      {make_series("grad norm", {0, 1, 2, 3, 4}, {1.0, 0.1, 0.0, -1.0, 0.0005})}, options);
  expect_well_formed(svg);
  for (const char* tick : {">1<", ">0.1<", ">0.01<", ">0.001<", ">1e-4<"}) {
    EXPECT_NE(svg.find(tick), std::string::npos) << tick;
  }
  // 0 and -1 break the line: two pieces, so two "M" commands in the one path.
  ASSERT_EQ(count(svg, "<path"), 1);
  const size_t d = svg.find("<path d=\"");
  const std::string path = svg.substr(d, svg.find('"', d + 9) - d);
  EXPECT_EQ(count(path, "M"), 2);
  EXPECT_EQ(count(path, "L"), 1);
}

TEST(Plot, LogScaleManyDecadesUsesScientificLabels) {
  ChartOptions options;
  options.log_y = true;
  const std::string svg = common::svg_line_chart({make_series("s", {0, 1}, {1e-12, 1e6})}, options);
  expect_well_formed(svg);
  EXPECT_NE(svg.find(">1e-12<"), std::string::npos);
  EXPECT_NE(svg.find(">1e6<"), std::string::npos);
  EXPECT_LE(count(svg, "<text"), 30);  // labels thinned out, not one per decade
}

TEST(Plot, DegenerateInputsDoNotCrash) {
  const double nan = std::nan(""), inf = std::numeric_limits<double>::infinity();
  ChartOptions log;
  log.log_y = true;
  const std::vector<std::vector<Series>> cases = {
      {},                                           // no series at all
      {make_series("empty", {}, {})},               // a series without points
      {make_series("one", {3}, {0.25})},            // a single point
      {make_series("flat", {0, 1, 2}, {5, 5, 5})},  // constant
      {make_series("zero", {0, 1, 2}, {0, 0, 0})},  // constant zero
      {make_series("x flat", {2, 2}, {1, 3})},      // all at one x
      {make_series("bad", {0, 1, 2, 3}, {nan, inf, -inf, 1})},
      {make_series("all bad", {nan, inf}, {1, 2})},
      {make_series("huge", {0, 1}, {-1e308, 1e308})},
      {make_series("tiny", {0, 1}, {1e-310, 1e-310})},
      {make_series("tiniest", {5e-324, 5e-324}, {5e-324, -5e-324})},
      {make_series("close", {1, 1 + 1e-15}, {1e300, 1e300 * (1 + 1e-15)})},
  };
  for (const auto& series : cases) {
    for (const ChartOptions& options : {ChartOptions(), log}) {
      const std::string svg = common::svg_line_chart(series, options);
      expect_well_formed(svg);
    }
  }
  // A lone point gets a dot so it is visible.
  EXPECT_EQ(
      count(common::svg_line_chart({make_series("one", {3}, {0.25})}, ChartOptions()), "<circle"),
      1);
  // Nothing drawable: a "no data" note instead of a line.
  EXPECT_NE(common::svg_line_chart({}, ChartOptions()).find("no data"), std::string::npos);
}

TEST(Plot, MismatchedLengthsAreAnError) {
  EXPECT_THROW(common::svg_line_chart({make_series("s", {0, 1}, {1})}, ChartOptions()),
               common::Error);
}

TEST(Plot, WriteSvgLineChart) {
  const std::string dir = (std::filesystem::temp_directory_path() / "aij_test_plot").string();
  const std::string path = common::join_path(dir, "loss.svg");
  const std::vector<Series> series = {make_series("loss", {0, 1}, {1, 0.5})};
  common::write_svg_line_chart(path, series, ChartOptions());
  EXPECT_EQ(common::read_file_text(path), common::svg_line_chart(series, ChartOptions()));
  EXPECT_EQ(test_util::file_names_in(dir), std::vector<std::string>{"loss.svg"});
  std::filesystem::remove_all(dir);
}

}  // namespace
