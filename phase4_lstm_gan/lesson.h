// phase4_lstm_gan/lesson.h -- what the lesson's experiments share (main.cpp and
// lesson_lstm.cpp): the phase's own flags, the Lesson every experiment receives, and the
// helpers that write pictures and charts into --out-dir.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common.h"

namespace phase4_lesson {

// The phase's own flags, with their defaults.
struct Options {
  int64_t length = 0;                  // long_lag: one sequence length T (0: 20, 50, 100, 200)
  std::string forget_init = "chrono";  // long_lag: chrono or bias1 (the LSTM's forget gate)
  int64_t hidden = 0;                  // long_lag, char_lstm: hidden units (0: the default)
  int64_t layers = 1;                  // char_lstm: stacked LSTM layers
  double temperature = 0.8;            // char_lstm: sampling temperature
  int64_t sample_chars = 2000;         // char_lstm: length of the final sample
  std::string dataset = "mnist";       // gan: mnist or fashion-mnist
  std::string model = "all";           // gan: all, mlp, dcgan or cgan
};

// What every experiment gets: the flags and the metrics file being filled in.
struct Lesson {
  common::CommonFlags flags;
  Options options;
  common::Metrics metrics;
};

using common::fmt;
using common::heading;
using common::say;

inline std::string out_path(const Lesson& lesson, const std::string& name) {
  common::make_dirs(lesson.flags.out_dir);
  return common::join_path(lesson.flags.out_dir, name);
}

inline void write_picture(const Lesson& lesson, const std::string& name,
                          const common::Image& image) {
  const std::string path = out_path(lesson, name);
  common::write_png(path, image);
  say("    wrote " + path + "\n");
}

inline void write_chart(const Lesson& lesson, const std::string& name,
                        const std::vector<common::Series>& series,
                        const common::ChartOptions& options) {
  const std::string path = out_path(lesson, name);
  common::write_svg_line_chart(path, series, options);
  say("    wrote " + path + "\n");
}

// The LSTM half of the lesson (lesson_lstm.cpp).
void long_lag(Lesson& lesson);
void sentiment(Lesson& lesson);
void char_lstm(Lesson& lesson);
void bench(Lesson& lesson);

}  // namespace phase4_lesson
