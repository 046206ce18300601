// common/progress.cpp -- see progress.h.
//
// Two audiences read a progress bar. A person at a terminal wants one line that
// updates in place: '\r' moves the cursor back to the start of the line and the new
// text overwrites the old. A log file (CI, `| tee`) would collect every one of those
// redraws, so when stderr is not a terminal the bar prints an ordinary line every few
// seconds instead, and a last one when the work is done.
#include "progress.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>

#include "platform.h"

namespace common {

namespace {

// set_enabled(false) silences every bar in the program (tests, nested quick runs).
// Atomic because bars may be created on any thread.
std::atomic<bool> g_enabled{true};

constexpr double kTtyInterval = 0.1;  // seconds between redraws on a terminal
constexpr double kLogInterval = 5.0;  // seconds between lines in a log
constexpr int kBarWidth = 20;         // characters between the brackets

// "ESC [ K" erases from the cursor to the end of the line: when the new text is shorter
// than the old one, the old one's tail would otherwise stay visible.
const char* const kEraseToEndOfLine = "\033[K";

// Items per second with a k or M suffix: "850.0", "12.3k", "4.1M".
std::string format_rate(double rate) {
  char buf[32];
  if (rate >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.1fM", rate / 1e6);
  } else if (rate >= 1e3) {
    std::snprintf(buf, sizeof(buf), "%.1fk", rate / 1e3);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f", rate);
  }
  return buf;
}

void print_line(bool tty, const std::string& line, bool final_line) {
  if (tty) {
    std::fprintf(stderr, "\r%s%s%s", line.c_str(), kEraseToEndOfLine, final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds >= 1e9) return "?";  // no sensible estimate
  const int64_t total = std::llround(std::max(0.0, seconds));
  const int64_t h = total / 3600, m = total / 60 % 60, s = total % 60;
  char buf[48];
  if (h > 0) {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", static_cast<long long>(h),
                  static_cast<long long>(m), static_cast<long long>(s));
  } else {
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", static_cast<long long>(m),
                  static_cast<long long>(s));
  }
  return buf;
}

ProgressBar::ProgressBar(std::string label, int64_t total, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      tty_(platform::stderr_is_terminal()) {}

ProgressBar::~ProgressBar() {
  // Leaving early (an exception, a break out of the training loop): show where the work
  // stopped. A destructor must not throw, so a failure to print is ignored.
  if (finished_ || !g_enabled) return;
  try {
    print_line(tty_, render(last_done_, last_metric_), /*final_line=*/true);
  } catch (...) {
  }
}

void ProgressBar::set_enabled(bool enabled) {
  g_enabled = enabled;
}

//   train  [#########-----------]  450/1000  45%  1.2k it/s  ETA 0:04  loss 0.4213
// With an unknown total (total <= 0) there is no bar, percentage or ETA:
//   train  450 it  1.2k it/s  0:01  loss 0.4213
std::string ProgressBar::format_line(const std::string& label, int64_t done, int64_t total,
                                     double seconds, const std::string& unit,
                                     const std::string& metric) {
  const double rate = seconds > 0.0 ? static_cast<double>(done) / seconds : 0.0;
  std::string line = label.empty() ? "" : label + "  ";
  if (total > 0) {
    const double fraction = std::clamp(static_cast<double>(done) / total, 0.0, 1.0);
    const int filled = static_cast<int>(fraction * kBarWidth);
    line += '[';
    line.append(filled, '#');
    line.append(kBarWidth - filled, '-');
    line += "]  ";
    line += std::to_string(done) + "/" + std::to_string(total) + "  ";
    line += std::to_string(static_cast<int>(fraction * 100)) + "%  ";
    line += format_rate(rate) + " " + unit + "/s  ";
    if (done >= total) {
      line += "time " + format_duration(seconds);  // finished: how long it took
    } else {
      // Remaining items at the average rate so far; "?" before the first item is done.
      const double eta = rate > 0.0 ? static_cast<double>(total - done) / rate : NAN;
      line += "ETA " + format_duration(eta);
    }
  } else {
    line += std::to_string(done) + " " + unit + "  " + format_rate(rate) + " " + unit + "/s  ";
    line += format_duration(seconds);
  }
  if (!metric.empty()) line += "  " + metric;
  return line;
}

std::string ProgressBar::render(int64_t done, const std::string& metric) const {
  return format_line(label_, done, total_, timer_.seconds(), unit_, metric);
}

void ProgressBar::update(int64_t done, const std::string& metric) {
  last_done_ = done;
  last_metric_ = metric;
  if (finished_ || !g_enabled) return;
  const double now = timer_.seconds();
  if (tty_) {
    // The first update draws at once; later ones at most every kTtyInterval seconds,
    // because drawing a million times costs more than the work it reports.
    if (last_draw_ >= 0.0 && now - last_draw_ < kTtyInterval) return;
  } else {
    // Counted from the start: a job shorter than kLogInterval prints only its final line.
    if (now - std::max(last_draw_, 0.0) < kLogInterval) return;
  }
  print_line(tty_, render(done, metric), /*final_line=*/false);
  last_draw_ = now;
}

void ProgressBar::finish(const std::string& metric) {
  if (finished_) return;
  finished_ = true;
  if (!g_enabled) return;
  // finish() means the work is complete, so a known total counts as all done.
  const int64_t done = total_ > 0 ? total_ : last_done_;
  print_line(tty_, render(done, metric.empty() ? last_metric_ : metric), /*final_line=*/true);
}

}  // namespace common
