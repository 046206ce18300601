// phase5_resnet/lesson.h -- what the lesson's experiments share (main.cpp and
// lesson_*.cpp): the phase's own flags, the Lesson every experiment receives, the
// training configurations of the experiments, and the helpers that write pictures and
// charts into --out-dir.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "resnet.h"

namespace phase5_lesson {

// The phase's own flags, with their defaults.
struct Options {
  int64_t depth = 0;                // resnet: 6n + 2 (0: 20)
  bool plain = false;               // resnet: the plain twin
  std::string shortcut = "A";       // A (zero-padding identity) or B (1x1 projection)
  bool no_batchnorm = false;        // resnet: convolutions with biases, no BatchNorm
  int64_t zero_init = -1;           // 1: zero-initialise each block's last BN scale (-1: default)
  int64_t warmup = -1;              // warm-up steps (-1: the experiment's default)
  std::string schedule = "cosine";  // cosine or step
  int64_t train_images = -1;        // training images used (-1: the experiment's default)
  std::string checkpoint;           // resnet: save the training state after every epoch
  bool resume = false;              // resnet: continue from --checkpoint
  int stop_after = 0;               // resnet: stop after this many epochs
};

struct Lesson {
  common::CommonFlags flags;
  Options options;
  common::Metrics metrics;
  std::optional<common::ImageDataset> data{};  // Fashion-MNIST, loaded once
  // degradation's residual nets, reused by compare in the whole lesson (same budget)
  struct Trained {
    std::string name;
    double accuracy = 0, images_per_second = 0;
    int64_t params = 0, flops = 0;
  };
  std::vector<Trained> degradation_resnets{};
};

using common::fmt;
using common::heading;
using common::say;

inline constexpr const char* kClassNames[10] = {"T-shirt", "trouser",   "pullover", "dress",
                                                "coat",    "sandal",    "shirt",    "sneaker",
                                                "bag",     "ankle boot"};

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

// Fashion-MNIST (--quick: the first 1,000 training and 500 test images).
const common::ImageDataset& fashion(Lesson& lesson);

// The network the flags describe (--depth, --plain, --shortcut, --no-batchnorm, --zero-init;
// zero initialisation applies to residual nets only: in a plain block it would zero the
// block's output).
phase5::ResNetConfig net_config(const Lesson& lesson, int64_t default_depth, bool plain,
                                bool default_zero_init = false);
// The training run the flags describe, with the experiment's defaults.
struct TrainDefaults {
  int epochs;
  int64_t train_images;  // 0: all
  int64_t warmup;
  float lr;
};
phase5::TrainConfig train_config(const Lesson& lesson, const TrainDefaults& defaults);

// The budget of the degradation experiment (and of compare): the README's "Finding a
// configuration" says what was tried. The residual nets start with each block's last
// BatchNorm scale at zero (--zero-init 0 turns it off).
inline constexpr TrainDefaults kDegradationBudget{
    .epochs = 2, .train_images = 10000, .warmup = 50, .lr = 0.1f};
inline constexpr bool kDegradationZeroInit = true;

// Writes several charts side by side (and in rows) as one SVG.
void write_panels(const Lesson& lesson, const std::string& name,
                  const std::vector<std::vector<common::Series>>& series,
                  const std::vector<common::ChartOptions>& options, int columns);

// The training-loss and test-error curves as series.
common::Series loss_series(const std::string& name, const phase5::TrainResult& r);
common::Series error_series(const std::string& name, const phase5::TrainResult& r);

// The stem's filters (PREFIX_stem_filters.png) and the misclassified test images
// (PREFIX_misclassified.svg) of a trained network (lesson_pictures.cpp).
void write_pictures(const Lesson& lesson, phase5::ResNet& net, const std::string& prefix);

// The experiments of lesson_experiments.cpp.
void gradient_flow(Lesson& lesson);
void batchnorm(Lesson& lesson);
void compare(Lesson& lesson);

}  // namespace phase5_lesson
