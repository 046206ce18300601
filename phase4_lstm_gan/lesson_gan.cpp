// phase4_lstm_gan/lesson_gan.cpp -- the GAN half of the lesson (see lesson_gan.h): narration,
// training runs, pictures and scores. The ideas live in gan.h/.cpp (the game, the MLP GAN,
// the cGAN), dcgan.h/.cpp and evaluator.h/.cpp; this file only drives them.
#include "lesson_gan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common.h"
#include "dcgan.h"
#include "evaluator.h"
#include "gan.h"

namespace phase4 {

namespace {

using common::fmt;
using common::say;

// Seeds of the fixed noise: the grids (100 samples) and the scored set (1,000 samples).
constexpr uint64_t kGridSeed = 1000, kScoreSeed = 2000;
constexpr int64_t kScored = 1000;

struct Run {
  std::string key;  // json key: mlp, dcgan, cgan, dcgan_fashion
  std::string model;
  std::string dataset;
};

std::unique_ptr<gan::GanModel> make_model(const std::string& model) {
  if (model == "mlp") return std::make_unique<gan::MlpGan>(gan::MlpGanConfig{});
  if (model == "cgan") return std::make_unique<gan::MlpGan>(gan::MlpGanConfig{.classes = 10});
  if (model == "dcgan") return std::make_unique<gan::Dcgan>();
  throw common::UsageError("--model expects all, mlp, dcgan or cgan, got '" + model + "'");
}

// Default epochs: the issue's (30 / 20 / 100); --quick: a few; --epochs overrides.
int default_epochs(const common::CommonFlags& flags, const std::string& model) {
  if (flags.quick) return model == "dcgan" ? 1 : 3;
  return model == "mlp" ? 30 : model == "dcgan" ? 20 : 100;
}

std::string out_file(const common::CommonFlags& flags, const std::string& name) {
  common::make_dirs(flags.out_dir);
  return common::join_path(flags.out_dir, name);
}

// A 10 x 10 grid of 28x28 images (n, 784) in [0, 1].
common::Image grid(const std::vector<float>& images, int64_t n, int cols) {
  std::vector<common::Image> tiles;
  for (int64_t i = 0; i < n; ++i)
    tiles.push_back(common::gray_image(images.data() + i * gan::kPixels, 28, 28));
  return common::tile_images(tiles, cols);
}

// The class histogram as an SVG bar chart: mode collapse, shown.
void write_histogram_svg(const std::string& path, const std::string& title,
                         const std::vector<int64_t>& histogram, int64_t total) {
  const int W = 520, H = 300, left = 50, bottom = 40, top = 40, bar = 36, gap = 10;
  int64_t most = 1;
  for (int64_t h : histogram) most = std::max(most, h);
  std::string svg =
      fmt("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" "
          "fill=\"white\"/>\n<text x=\"%d\" y=\"22\" font-size=\"14\">%s</text>\n",
          W, H, left, title.c_str());
  const double scale = static_cast<double>(H - top - bottom) / static_cast<double>(most);
  // The 10% line: a uniform generator puts one sample in ten into every class.
  const double uniform_y = H - bottom - scale * static_cast<double>(total) / 10.0;
  for (size_t c = 0; c < histogram.size(); ++c) {
    const double h = scale * static_cast<double>(histogram[c]);
    const int x = left + static_cast<int>(c) * (bar + gap);
    svg += fmt("<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"#4a7ab5\"/>\n", x,
               H - bottom - h, bar, h);
    svg += fmt("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%zu</text>\n", x + bar / 2,
               H - bottom + 16, c);
    svg += fmt("<text x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%lld</text>\n", x + bar / 2,
               H - bottom - h - 4, static_cast<long long>(histogram[c]));
  }
  if (uniform_y > top)
    svg +=
        fmt("<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#c33\" "
            "stroke-dasharray=\"4 3\"/>\n<text x=\"%d\" y=\"%.1f\" fill=\"#c33\">uniform "
            "(10%%)</text>\n",
            left - 5, W - 10, uniform_y, uniform_y, W - 110, uniform_y - 4);
  svg += fmt("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">predicted class</text>\n</svg>\n",
             W / 2, H - 6);
  common::write_file_atomic(path, svg);
  say("    wrote " + path + "\n");
}

std::string histogram_text(const gan::SampleScores& s) {
  std::string text;
  for (size_t c = 0; c < s.histogram.size(); ++c) {
    const int64_t h = s.histogram[c];
    text += fmt("    %zu %4lld ", c, static_cast<long long>(h)) +
            std::string(static_cast<size_t>(h * 50 / std::max<int64_t>(s.count, 1)), '#') + "\n";
  }
  return text;
}

std::string scores_line(const gan::SampleScores& s) {
  std::string line =
      fmt("confident (p > 0.9) %.3f   class entropy %.3f nats (uniform 2.303)   "
          "classes >= 5%%: %d",
          s.confident_fraction, s.class_entropy, s.classes_covered);
  if (s.label_accuracy >= 0) line += fmt("   label accuracy %.3f", s.label_accuracy);
  return line;
}

void put_scores(common::Json& j, const gan::SampleScores& s) {
  j["confident_fraction"] = s.confident_fraction;
  j["class_entropy"] = s.class_entropy;
  j["classes_covered"] = s.classes_covered;
  common::Json hist = common::Json::array();
  for (int64_t h : s.histogram) hist.push_back(h);
  j["class_histogram"] = hist;
  if (s.label_accuracy >= 0) j["label_accuracy"] = s.label_accuracy;
}

// ---------------------------------------------------------------------------
// One generator: train, pictures after every epoch, scores at the end.

void run_model(const common::CommonFlags& flags, const Run& run, const common::ImageDataset& ds,
               const gan::Evaluator& evaluator, common::Json& out) {
  common::Timer timer;
  std::unique_ptr<gan::GanModel> model = make_model(run.model);
  gan::GanTrainConfig train{.epochs = flags.epochs_or(default_epochs(flags, run.model)),
                            .batch_size = flags.batch_size_or(64),
                            .seed = flags.seed};
  train.adam.lr = static_cast<float>(flags.lr_or(train.adam.lr));
  const int64_t n_train = ds.train_x.dim(0);
  say(fmt("\n  --- %s on %s: %lld training images, %d epochs, batch %lld, Adam lr %g beta1 %g\n",
          run.key.c_str(), run.dataset.c_str(), static_cast<long long>(n_train), train.epochs,
          static_cast<long long>(train.batch_size), train.adam.lr, train.adam.beta1));

  const std::vector<float> grid_z = gan::fixed_noise(100, model->z_dim(), kGridSeed);
  const std::vector<int> grid_y = gan::cycling_labels(100);  // cGAN: column = digit
  std::vector<common::Image> sheet_rows;  // the contact sheet: 10 samples per epoch
  const int sheet_every = std::max(1, train.epochs / 20);
  const std::string prefix = "gan_" + run.key;
  auto on_epoch = [&](const gan::GanEpochRecord& r) {
    const std::vector<float> s = gan::sample_images(*model, grid_z, grid_y, 100);
    common::write_png(out_file(flags, fmt("%s_epoch_%03d.png", prefix.c_str(), r.epoch)),
                      grid(s, 100, 10));
    if (r.epoch % sheet_every == 0 || r.epoch == train.epochs)
      sheet_rows.push_back(grid(s, 10, 10));
    say(fmt("    epoch %3d  D loss %.3f  G loss %.3f  D(x) %.2f  D(G(z)) %.2f  (%.1f s)\n", r.epoch,
            r.d_loss, r.g_loss, r.d_real, r.d_fake, r.seconds));
  };
  const std::vector<gan::GanEpochRecord> history =
      gan::train_gan(*model, ds.train_x, ds.train_y, train, on_epoch);

  // Pictures: the final grid, the contact sheet of epochs, the loss curves.
  const std::vector<float> final_grid = gan::sample_images(*model, grid_z, grid_y, 100);
  const std::string samples_path = out_file(flags, prefix + "_samples.png");
  common::write_png(samples_path, common::upscale(grid(final_grid, 100, 10), 2));
  const std::string sheet_path = out_file(flags, prefix + "_epochs.png");
  common::write_png(sheet_path, common::tile_images(sheet_rows, 1, 2, 255));
  common::Series d_loss{.name = "discriminator loss", .markers = true};
  common::Series g_loss{.name = "generator loss (non-saturating)", .markers = true};
  double seconds_per_epoch = 0.0;
  for (const auto& r : history) {
    d_loss.x.push_back(r.epoch);
    d_loss.y.push_back(r.d_loss);
    g_loss.x.push_back(r.epoch);
    g_loss.y.push_back(r.g_loss);
    seconds_per_epoch += r.seconds / static_cast<double>(history.size());
  }
  const std::string loss_path = out_file(flags, prefix + "_loss.svg");
  common::write_svg_line_chart(loss_path, {d_loss, g_loss},
                               {.title = run.key + " on " + run.dataset + ": losses per epoch",
                                .x_label = "epoch",
                                .y_label = "mean loss (nats)"});
  say("    wrote " + samples_path + " (fixed z), " + sheet_path + " (one row per " +
      (sheet_every == 1 ? std::string("epoch") : fmt("%d epochs", sheet_every)) + "),\n    " +
      loss_path + " and " + prefix + "_epoch_NNN.png\n");

  // Scores of 1,000 samples from a fixed z (the cGAN asked for 0, 1, ..., 9 in turn).
  const std::vector<float> score_z = gan::fixed_noise(kScored, model->z_dim(), kScoreSeed);
  const std::vector<int> score_y = gan::cycling_labels(kScored);
  const std::vector<float> samples = gan::sample_images(*model, score_z, score_y, kScored);
  const gan::SampleScores s = gan::score_images(evaluator, samples.data(), kScored,
                                                model->conditional() ? score_y.data() : nullptr);
  const double distance = gan::mean_image_distance(samples.data(), kScored, ds.test_x.data(),
                                                   std::min<int64_t>(kScored, ds.test_x.dim(0)));
  say("\n    " + std::to_string(kScored) + " samples: " + scores_line(s) +
      fmt("\n    mean-image distance to real test images %.3f", distance) +
      "\n    predicted classes:\n" + histogram_text(s));
  if (!model->conditional())
    write_histogram_svg(out_file(flags, prefix + "_classes.svg"),
                        run.key + ": predicted classes of 1,000 samples", s.histogram, kScored);
  say("    three samples:\n");
  for (int64_t i = 0; i < 3; ++i)
    say(common::ascii_preview(samples.data() + i * gan::kPixels, 28, 28));

  out["model"] = run.model;
  out["dataset"] = run.dataset;
  out["train_examples"] = n_train;
  out["epochs"] = train.epochs;
  out["batch_size"] = train.batch_size;
  out["lr"] = static_cast<double>(train.adam.lr);
  put_scores(out, s);
  out["mean_image_l1"] = distance;
  out["final_d_loss"] = history.back().d_loss;
  out["final_g_loss"] = history.back().g_loss;
  out["seconds_per_epoch"] = seconds_per_epoch;
  out["seconds"] = timer.seconds();
}

}  // namespace

// ---------------------------------------------------------------------------
// The experiment

void run_gan_experiment(const common::CommonFlags& flags, const std::string& dataset,
                        const std::string& model, common::Metrics& metrics) {
  if (dataset != "mnist" && dataset != "fashion-mnist")
    throw common::UsageError("--dataset expects mnist or fashion-mnist, got '" + dataset + "'");
  if (model != "all" && model != "mlp" && model != "dcgan" && model != "cgan")
    throw common::UsageError("--model expects all, mlp, dcgan or cgan, got '" + model + "'");
  const bool digits = dataset == "mnist";
  common::heading(
      "gan: generative adversarial networks on " + dataset,
      digits ? R"(A generator turns noise into images; a discriminator learns to tell them from real
digits; each trains against the other (Goodfellow et al. 2014). Three generators:
the 2014-style MLP GAN, the DCGAN (Radford et al. 2015: transposed convolutions and
BatchNorm) and a conditional GAN (Mirza and Osindero 2014) told which digit to draw.
No human judges the samples: a small CNN trained on the real digits does. It scores
1,000 samples from a fixed z: the fraction it classifies with confidence above 0.9,
the entropy of the predicted-class histogram (ln 10 = 2.303 when every digit is
equally common, 0 when the generator draws one digit only: mode collapse) and the
number of classes with at least 5% of the samples.
)"
             : R"(The same DCGAN on Fashion-MNIST (Xiao et al. 2017): T-shirts, trousers, bags and
boots instead of digits, scored by an evaluator CNN trained on Fashion-MNIST.
Labels: 0 T-shirt, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
7 sneaker, 8 bag, 9 ankle boot.
)");
  common::Timer timer;
  // All 10,000 training images (the first of the canonical 60,000 for Fashion-MNIST too, so
  // both datasets give the same epoch); --quick: 2,000. Test images: the canonical 10,000.
  const common::ImageDataset ds = common::load_image_dataset(
      flags.data_dir, dataset, flags.quick ? 2000 : 10000, flags.quick ? 2000 : 0);
  common::Json& gan_json = metrics.experiment("gan");
  const std::string suffix = digits ? "" : "_fashion";

  // The evaluator, and the scores of real test images: the ceiling.
  say(fmt("  evaluator: LeNet-5 (ReLU, max-pooling) trained on the %lld training images\n",
          static_cast<long long>(ds.train_x.dim(0))));
  gan::Evaluator evaluator;
  const double accuracy = gan::train_evaluator(
      evaluator, ds, {.epochs = flags.quick ? 3 : 4, .seed = flags.seed, .verbose = !flags.quick});
  const int64_t n_real = std::min<int64_t>(kScored, ds.test_x.dim(0));
  const gan::SampleScores real = gan::score_images(evaluator, ds.test_x.data(), n_real);
  say(fmt("  evaluator test accuracy %.4f on %lld test images\n", accuracy,
          static_cast<long long>(ds.test_x.dim(0))) +
      "  the ceiling, " + std::to_string(n_real) + " real test images: " + scores_line(real) +
      "\n");
  gan_json["evaluator" + suffix + "_test_accuracy"] = accuracy;
  put_scores(gan_json["real" + suffix], real);

  std::vector<Run> runs;
  for (const char* m : {"mlp", "dcgan", "cgan"})
    if (model == m || (model == "all" && (digits || std::string(m) == "dcgan")))
      runs.push_back({.key = m + suffix, .model = m, .dataset = dataset});
  for (const Run& run : runs) run_model(flags, run, ds, evaluator, gan_json[run.key]);

  if (runs.size() > 1) {
    say("\n  summary (1,000 samples each; real test images are the ceiling):\n");
    say(fmt("    %-14s %10s %10s %8s %10s\n", "", "confident", "entropy", "classes", "label acc"));
    auto row = [&](const std::string& name, const common::Json& j) {
      say(fmt("    %-14s %10.3f %10.3f %8.0f %10s\n", name.c_str(),
              j.at("confident_fraction").as_number(), j.at("class_entropy").as_number(),
              j.at("classes_covered").as_number(),
              j.contains("label_accuracy") ? fmt("%.3f", j.at("label_accuracy").as_number()).c_str()
                                           : "-"));
    };
    for (const Run& run : runs) row(run.key, gan_json.at(run.key));
    row("real" + suffix, gan_json.at("real" + suffix));
  }
  gan_json["seconds" + suffix] = timer.seconds();
}

// ---------------------------------------------------------------------------
// bench: seconds per epoch at fixed configurations

void run_gan_bench(const common::CommonFlags& flags, common::Json& bench) {
  const bool quick = flags.quick;
  const common::ImageDataset ds =
      common::load_image_dataset(flags.data_dir, "mnist", 10000, quick ? 100 : 0);
  struct Case {
    const char* key;
    const char* model;
    int64_t images;
  };
  for (const Case& c : {Case{"mlp_gan_epoch", "mlp", quick ? 640 : 8000},
                        Case{"dcgan_epoch", "dcgan", quick ? 640 : 10000}}) {
    common::Tensor x({c.images, gan::kPixels});
    std::copy(ds.train_x.data(), ds.train_x.data() + c.images * gan::kPixels, x.data());
    const std::vector<int> y(ds.train_y.begin(), ds.train_y.begin() + c.images);
    std::unique_ptr<gan::GanModel> model = make_model(c.model);
    // Two epochs; the second is timed (the first grows the buffers and warms the caches).
    const auto history =
        gan::train_gan(*model, x, y, {.epochs = 2, .seed = flags.seed, .verbose = false});
    const double seconds = history.back().seconds;
    common::Json& j = bench[c.key];
    j["seconds_per_epoch"] = seconds;
    j["items_per_second"] = static_cast<double>(c.images / 64 * 64) / seconds;
    j["unit"] = "images";
    j["config"] = fmt("%s GAN, one epoch over %lld digits, batch 64, D step + G step, %d threads",
                      c.model, static_cast<long long>(c.images), common::num_threads());
    say(fmt("  %-14s %8.2f s per epoch (%lld images, batch 64): %.0f images/s\n", c.key, seconds,
            static_cast<long long>(c.images), j.at("items_per_second").as_number()));
  }
}

}  // namespace phase4
