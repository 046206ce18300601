// phase3_cnn_rnn/lesson.h -- what the lesson's experiments share (main.cpp and
// lesson_rnn.cpp): the phase's own flags, the Lesson every experiment receives, and the
// helpers that write pictures and charts into --out-dir.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "char_rnn.h"
#include "common.h"

namespace phase3_lesson {

// The phase's own flags, with their defaults.
struct Options {
  std::string dataset = "mnist";       // lenet: mnist or fashion-mnist
  bool classic = false;                // lenet: the paper's tanh + average pooling
  std::string corpus = "shakespeare";  // char_rnn, vanishing: shakespeare or kjv
  int64_t hidden = 256;                // char_rnn: hidden units
  std::string prompt;                  // char_rnn: empty = the corpus's own ("ROMEO:")
  double temperature = 0.8;            // char_rnn: sampling temperature
  int64_t sample_chars = 500;          // char_rnn: length of the final sample
  bool resume = false;                 // char_rnn: continue from its training checkpoint
};

// What every experiment gets: the flags, the metrics file being filled in, and results
// that later experiments of the lesson reuse (LeNet's accuracy, the trained RNN).
struct Lesson {
  common::CommonFlags flags;
  Options options;
  common::Metrics metrics;
  std::optional<double> lenet_mnist_accuracy{};
  std::optional<phase3::CharRnn> char_model{};
  std::optional<phase3::CharCorpus> corpus{};
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

// The RNN half of the lesson (lesson_rnn.cpp).
void sequence(Lesson& lesson);
void char_rnn(Lesson& lesson);
void vanishing(Lesson& lesson);

}  // namespace phase3_lesson
