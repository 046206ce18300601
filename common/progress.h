// common/progress.h -- wall-clock timer and a progress bar for long work.
//
// On a terminal the bar redraws one line on stderr (at most 10 times a second):
//   train  [#########-----------]  450/1000  45%  1234.5 it/s  ETA 0:04  loss 0.4213
// When stderr is not a terminal (CI logs, pipes) it prints a plain line at most every
// few seconds and a final line when done, so logs stay short and readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace common {

class Timer {
 public:
  Timer() { reset(); }
  void reset() { start_ = std::chrono::steady_clock::now(); }
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

class ProgressBar {
 public:
  // unit: what is counted ("it", "img", "tok"); shown in the rate.
  ProgressBar(std::string label, int64_t total, std::string unit = "it");
  ~ProgressBar();  // finishes the line if finish() was not called
  // done: items completed so far; metric: e.g. "loss 0.4213" (may be empty).
  void update(int64_t done, const std::string& metric = "");
  void finish(const std::string& metric = "");

  // For tests and for programs that want silence (--quick inside test suites).
  static void set_enabled(bool enabled);

  // The text of one progress line from explicit values, without a clock: what the bar
  // draws after `seconds` of work. Public so tests can check the layout exactly.
  static std::string format_line(const std::string& label, int64_t done, int64_t total,
                                 double seconds, const std::string& unit,
                                 const std::string& metric);

 private:
  std::string render(int64_t done, const std::string& metric) const;

  std::string label_, unit_;
  int64_t total_;
  Timer timer_;
  double last_draw_ = -1.0;
  bool tty_;
  bool finished_ = false;
  std::string last_metric_;
  int64_t last_done_ = 0;
};

// "1:05", "12:03:09" -- for ETAs and summaries.
std::string format_duration(double seconds);

}  // namespace common
