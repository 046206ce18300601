// Tests for common/progress.h: durations, the exact layout of a progress line, and what
// reaches stderr when it is not a terminal (gtest's capture makes it a file) or when
// bars are disabled.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "progress.h"

namespace {

using common::format_duration;
using common::ProgressBar;

int count_char(const std::string& text, char c) {
  int n = 0;
  for (char x : text) n += x == c;
  return n;
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(5), "0:05");
  EXPECT_EQ(format_duration(5.4), "0:05");
  EXPECT_EQ(format_duration(59.6), "1:00");
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(600), "10:00");
  EXPECT_EQ(format_duration(3600), "1:00:00");
  EXPECT_EQ(format_duration(12 * 3600 + 3 * 60 + 9), "12:03:09");
  EXPECT_EQ(format_duration(150 * 3600), "150:00:00");
  EXPECT_EQ(format_duration(-3), "0:00");
  EXPECT_EQ(format_duration(NAN), "?");
  EXPECT_EQ(format_duration(INFINITY), "?");
}

TEST(Progress, LineWithKnownTotal) {
  // 450 of 1000 in 0.5 s: 900 it/s, 550 left -> 0.6 s -> "0:01".
  EXPECT_EQ(ProgressBar::format_line("train", 450, 1000, 0.5, "it", "loss 0.4213"),
            "train  [#########-----------]  450/1000  45%  900.0 it/s  ETA 0:01  loss 0.4213");
  // Done: the elapsed time replaces the ETA.
  EXPECT_EQ(ProgressBar::format_line("train", 1000, 1000, 125.0, "img", ""),
            "train  [####################]  1000/1000  100%  8.0 img/s  time 2:05");
  // Nothing done yet: no rate, so no ETA.
  EXPECT_EQ(ProgressBar::format_line("eval", 0, 10, 0.0, "it", ""),
            "eval  [--------------------]  0/10  0%  0.0 it/s  ETA ?");
}

TEST(Progress, LineWithUnknownTotal) {
  EXPECT_EQ(ProgressBar::format_line("read", 2500, 0, 2.0, "tok", ""),
            "read  2500 tok  1.2k tok/s  0:02");
  EXPECT_EQ(ProgressBar::format_line("", 5000000, -1, 1.0, "tok", "ppl 12.5"),
            "5000000 tok  5.0M tok/s  0:01  ppl 12.5");
}

TEST(Progress, LineClampsTheBar) {
  // More done than the total (a caller counting examples in a last partial batch).
  const std::string line = ProgressBar::format_line("x", 12, 10, 1.0, "it", "");
  EXPECT_NE(line.find("[####################]"), std::string::npos);
  EXPECT_NE(line.find("100%"), std::string::npos);
}

TEST(Progress, NotATerminalPrintsOnlyTheFinalLineForShortWork) {
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("train", 100, "it");
    for (int i = 1; i <= 100; ++i) bar.update(i, "loss 0.5");
    bar.finish("loss 0.25");
  }
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_char(out, '\n'), 1) << out;
  EXPECT_EQ(count_char(out, '\r'), 0) << out;
  EXPECT_EQ(out.rfind("train  [####################]  100/100  100%", 0), 0u) << out;
  EXPECT_NE(out.find("loss 0.25\n"), std::string::npos) << out;
}

TEST(Progress, FinishKeepsTheLastMetricAndUnknownTotalCount) {
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("gen", 0, "tok");
    bar.update(42, "ppl 3.0");
    bar.finish();
    bar.finish();  // a second finish prints nothing more
  }
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_char(out, '\n'), 1) << out;
  EXPECT_EQ(out.rfind("gen  42 tok  ", 0), 0u) << out;
  EXPECT_NE(out.find("ppl 3.0\n"), std::string::npos) << out;
}

TEST(Progress, DestructorShowsWhereUnfinishedWorkStopped) {
  testing::internal::CaptureStderr();
  {
    ProgressBar bar("train", 1000, "it");
    bar.update(450, "loss 9.9");
  }
  const std::string out = testing::internal::GetCapturedStderr();
  EXPECT_EQ(count_char(out, '\n'), 1) << out;
  EXPECT_NE(out.find("[#########-----------]  450/1000  45%"), std::string::npos) << out;
  EXPECT_NE(out.find("loss 9.9"), std::string::npos) << out;
}

TEST(Progress, DisabledBarsPrintNothing) {
  ProgressBar::set_enabled(false);
  testing::internal::CaptureStderr();
  {
    ProgressBar finished("train", 10);
    for (int i = 1; i <= 10; ++i) finished.update(i, "loss 1");
    finished.finish("done");
    ProgressBar abandoned("eval", 0);
    abandoned.update(3);
  }
  const std::string out = testing::internal::GetCapturedStderr();
  ProgressBar::set_enabled(true);
  EXPECT_EQ(out, "");
}

TEST(Timer, Measures) {
  common::Timer timer;
  const double a = timer.seconds();
  EXPECT_GE(a, 0.0);
  EXPECT_GE(timer.seconds(), a);
  timer.reset();
  EXPECT_LT(timer.seconds(), 1.0);
}

}  // namespace
