// phase1_perceptron/main.cpp -- the lesson driver of phase 1: threshold units and the
// perceptron, from logic gates to handwritten digits.
//
// What this phase builds (one file per idea, read in this order):
//   mcculloch_pitts.h/.cpp  McCulloch and Pitts (1943): binary threshold units with absolute
//                           inhibition, wired by hand into gates, XOR and a 2-bit adder.
//   perceptron.h/.cpp       Rosenblatt (1957/58): learned weights and the error-correction
//                           rule on logic gates; why XOR makes it cycle forever; Novikoff's
//                           (1962) mistake bound checked on generated separable data.
//   digits.h/.cpp           the multi-class perceptron and the averaged perceptron (Freund
//                           and Schapire 1999) on MNIST raw pixels.
// What it leaves out: hidden layers and gradient descent (phase 2), the Mark I's analogue
// hardware and random "association units", kernels and the voted perceptron's vote.
//
// Build, run, test (from the repository root):
//   cmake --preset release && cmake --build --preset release
//   build/release/phase1_perceptron/phase1_perceptron            # the whole lesson
//   build/release/phase1_perceptron/phase1_perceptron digits --epochs 5
//   ctest --preset release -R Phase1          # this phase's tests (suites Phase1*)
//
// This file only parses flags, runs the experiments in teaching order with a few words of
// narration, and records the numbers (--json). The ideas live in the files above.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common.h"
#include "digits.h"
#include "mcculloch_pitts.h"
#include "perceptron.h"

namespace {

constexpr const char* kPhase = "phase1_perceptron";

// The phase's own flags, with their defaults.
struct Options {
  int64_t train_examples = 0;  // digits: first N training images (0 = all that are present)
  int64_t test_examples = 0;   // digits: first N test images (0 = all)
  double margin = 0.1;         // convergence: empty band around the true line
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

std::string write_picture(const Lesson& lesson, const std::string& name,
                          const common::Image& image) {
  common::make_dirs(lesson.flags.out_dir);
  const std::string path = common::join_path(lesson.flags.out_dir, name);
  common::write_png(path, image);
  say("    wrote " + path + "\n");
  return path;
}

// --- Experiment 1: McCulloch-Pitts units --------------------------------------------------

void mcculloch_pitts(Lesson& lesson) {
  heading("mcculloch_pitts: threshold logic, wired by hand (1943)",
          "A McCulloch-Pitts unit fires (1) when enough excitatory inputs are active and no\n"
          "inhibitory input is; nothing is learned. One unit gives AND, OR, NOT and NOR; NAND\n"
          "and XOR need two layers; a few more units add two 2-bit numbers. Every table below\n"
          "is checked row by row against the Boolean function it should compute.\n");
  common::Timer timer;
  int correct = 0, total = 0, rows = 0;
  bool xor_correct = false;
  for (const phase1::CircuitSpec& spec : phase1::mp_all_circuits()) {
    const phase1::MPCircuit& c = spec.circuit;
    const phase1::TruthTable table = phase1::mp_truth_table(c, spec.reference);
    const int layers = phase1::mp_layers(c);
    say("\n  " + c.name + "  computes " + spec.meaning + "   (" + std::to_string(c.units.size()) +
        " unit" + (c.units.size() == 1 ? "" : "s") + ", " + std::to_string(layers) + " layer" +
        (layers == 1 ? "" : "s") + ")\n");
    for (const std::string& line : phase1::mp_describe(c)) say("      " + line + "\n");
    say(phase1::format_truth_table(c, table));
    ++total;
    rows += static_cast<int>(table.inputs.size());
    if (table.correct()) ++correct;
    if (c.name == "XOR") xor_correct = table.correct();
  }
  say("\n  " + std::to_string(correct) + " of " + std::to_string(total) + " truth tables exact (" +
      std::to_string(rows) +
      " rows checked). XOR works because the\n"
      "  network has a hidden layer: h1 and h2 each cut the square once, the OR unit combines\n"
      "  the two cuts. The catch: a person had to find these weights. Next, a unit that learns.\n");
  common::Json& m = lesson.metrics.experiment("mcculloch_pitts");
  m["headline"] = common::Json::array({"tables_correct", "tables_total", "xor_network_correct"});
  m["tables_correct"] = correct;
  m["tables_total"] = total;
  m["rows_checked"] = rows;
  m["xor_network_correct"] = xor_correct;
  m["seconds"] = timer.seconds();
}

// --- Experiment 2: the perceptron on logic gates -------------------------------------------

void perceptron_gates(Lesson& lesson) {
  heading("perceptron_gates: Rosenblatt's rule on AND, OR, NAND and XOR (1958)",
          "The perceptron has real weights and learns them: y_hat = step(w . x + b), and after\n"
          "each example w += lr (y - y_hat) x, b += lr (y - y_hat). The four points are visited\n"
          "in a fixed order. An epoch without mistakes means the rule has converged. If the\n"
          "weights at the end of an epoch equal those of an earlier epoch, the rule is in a\n"
          "cycle and will repeat it forever.\n");
  common::Timer timer;
  phase1::GateConfig config;
  config.lr = lesson.flags.lr_or(config.lr);
  config.max_epochs = lesson.flags.epochs_or(config.max_epochs);
  config.seed = lesson.flags.seed;
  say("  lr " + fmt("%g", config.lr) + ", initial weights uniform in [-" +
      fmt("%g", config.init_scale) + ", " + fmt("%g", config.init_scale) + "] (seed " +
      std::to_string(config.seed) + "), at most " + std::to_string(config.max_epochs) +
      " epochs\n");

  const std::vector<std::string> gates = {"AND", "OR", "NAND", "XOR"};
  common::Json& m = lesson.metrics.experiment("perceptron_gates");
  m["headline"] = common::Json::array(
      {"AND.converged", "OR.converged", "NAND.converged", "XOR.converged", "XOR.accuracy"});
  for (const std::string& gate : gates) {
    const phase1::BinaryDataset data = phase1::gate_dataset(gate);
    const phase1::GateRun run = phase1::train_gate(data, config);
    say("\n  " + gate + "\n" + phase1::format_gate_trace(run, data));
    if (run.converged) {
      say("    converged after " + std::to_string(run.epochs) + " epochs: accuracy " +
          fmt("%.2f", run.final_accuracy) + "\n");
    } else if (run.cycled) {
      say("    NO convergence: the weights after epoch " + std::to_string(run.epochs) +
          " equal those after epoch " + std::to_string(run.cycle_start) + " (a cycle of " +
          std::to_string(run.cycle_period) + " epoch" + (run.cycle_period == 1 ? "" : "s") +
          ");\n    it will never converge. Best accuracy ever reached: " +
          fmt("%.2f", run.accuracy) + "\n");
    } else {
      say("    NO convergence within " + std::to_string(run.epochs) +
          " epochs; best accuracy reached " + fmt("%.2f", run.accuracy) + "\n");
    }
    const auto ghosts = phase1::cycle_states(run, data.size());
    write_picture(lesson, "perceptron_" + gate + ".png",
                  phase1::decision_picture(data, run.final, ghosts, -0.5, 1.5, 240));
    common::Json& g = m[gate];
    g["converged"] = run.converged;
    g["epochs"] = run.epochs;
    g["accuracy"] = run.accuracy;
    g["final_accuracy"] = run.final_accuracy;
    g["cycled"] = run.cycled;
    g["cycle_period"] = run.cycle_period;
  }

  // The same from 20 more seeds: the outcome does not depend on luck.
  const int n_seeds = 21;
  say("\n  The same four gates from " + std::to_string(n_seeds) + " seeds (" +
      std::to_string(config.seed) + " .. " + std::to_string(config.seed + n_seeds - 1) + "):\n");
  for (const std::string& gate : gates) {
    int converged = 0, most_epochs = 0;
    double best = 0.0;
    for (int s = 0; s < n_seeds; ++s) {
      phase1::GateConfig c = config;
      c.seed = config.seed + static_cast<uint64_t>(s);
      const phase1::GateRun run = phase1::train_gate(phase1::gate_dataset(gate), c);
      converged += run.converged;
      if (run.converged) most_epochs = std::max(most_epochs, run.epochs);
      best = std::max(best, run.accuracy);
    }
    std::string line = "    " + gate + std::string(6 - gate.size(), ' ') + "converged " +
                       std::to_string(converged) + "/" + std::to_string(n_seeds);
    line += converged ? ", at most " + std::to_string(most_epochs) + " epochs" : "";
    line += ", best accuracy " + fmt("%.2f", best) + "\n";
    say(line);
    m[gate]["seeds_converged"] = converged;
    m[gate]["seeds_tried"] = n_seeds;
    m[gate]["best_accuracy_any_seed"] = best;
  }
  say("\n  In the pictures the background shows the perceptron's answer (red: 1, blue: 0) and\n"
      "  the discs the targets. One straight line separates the red and blue discs of AND, OR\n"
      "  and NAND. For XOR no line can: to say 1 for (0,1) and (1,0), a line must put both on\n"
      "  its red side, and then their midpoint (0.5, 0.5) too; but that is also the midpoint of\n"
      "  (0,0) and (1,1), so one of those lands on the red side as well. At most 3 of 4 points\n"
      "  can be right. The grey lines are the weights the rule keeps visiting: the wall that\n"
      "  Minsky and Papert's book 'Perceptrons' (1969) made famous.\n");
  m["seconds"] = timer.seconds();
}

// --- Experiment 3: Novikoff's convergence theorem -----------------------------------------

void convergence(Lesson& lesson) {
  heading("convergence: Novikoff's mistake bound (1962)",
          "On linearly separable data the perceptron (started at w = 0) makes at most\n"
          "(R / gamma)^2 mistakes, where R = max |x| and gamma is the margin: the distance of\n"
          "the closest point to a separating line. Points are drawn uniformly in [-1, 1]^2 on\n"
          "both sides of a random line through the origin, leaving an empty band of half-width\n"
          "`margin` around it; R and gamma are measured on the data.\n");
  common::Timer timer;
  const double lr = lesson.flags.lr_or(1.0);
  const auto row = [&](double margin, uint64_t seed) {
    phase1::SeparableConfig sc;
    sc.margin = margin;
    sc.seed = seed;
    const phase1::SeparableData data = phase1::make_separable_data(sc);
    return std::make_pair(data, phase1::count_mistakes_to_convergence(data, seed, lr));
  };
  const auto print_row = [&](double margin, const phase1::NovikoffResult& r) {
    char line[160];
    std::snprintf(line, sizeof line, "    %7.3f  %6.3f  %7.4f  %9lld  %6d  %11.1f  %s\n", margin,
                  r.R, r.gamma, static_cast<long long>(r.mistakes), r.epochs, r.bound,
                  r.mistakes <= r.bound ? "yes" : "NO");
    say(line);
  };
  const char* header =
      "     margin       R    gamma   mistakes  epochs  (R/gamma)^2  mistakes <= bound\n";

  say("  1000 points, seed " + std::to_string(lesson.flags.seed) + ":\n" + header);
  const auto [data, r] = row(lesson.options.margin, lesson.flags.seed);
  print_row(lesson.options.margin, r);
  phase1::Perceptron truth;  // the line the data was generated from, drawn in grey
  truth.w = data.u;
  write_picture(lesson, "convergence.png",
                phase1::decision_picture(data.data, r.p, {truth}, -1.1, 1.1, 360));
  common::Json& m = lesson.metrics.experiment("convergence");
  m["headline"] = common::Json::array({"mistakes", "bound"});
  m["points"] = data.data.size();
  m["margin"] = lesson.options.margin;
  m["R"] = r.R;
  m["gamma"] = r.gamma;
  m["mistakes"] = r.mistakes;
  m["epochs"] = r.epochs;
  m["bound"] = r.bound;

  say("\n  Narrower bands, same seed: the bound grows like 1 / gamma^2, the real count much\n"
      "  more slowly. The bound is a worst case: it holds for every data set with this R and\n"
      "  gamma and every order of visits, and it never needs the number of points.\n" +
      std::string(header));
  common::Json table = common::Json::array();
  bool all_within = r.mistakes <= r.bound;
  for (double margin : {0.3, 0.1, 0.03, 0.01, 0.003}) {
    const auto [d, res] = row(margin, lesson.flags.seed);
    print_row(margin, res);
    all_within = all_within && res.mistakes <= res.bound;
    common::Json entry = common::Json::object();
    entry["margin"] = margin;
    entry["mistakes"] = res.mistakes;
    entry["bound"] = res.bound;
    table.push_back(entry);
  }
  m["datasets"] = table;
  m["all_within_bound"] = all_within;
  say("\n  The picture shows the learned line (black) and the true one (grey): any line in\n"
      "  the empty band separates the data, and the perceptron stops at the first it finds.\n");
  m["seconds"] = timer.seconds();
}

// --- Experiment 4: digits ------------------------------------------------------------------

void digits(Lesson& lesson) {
  heading("digits: one perceptron per digit on MNIST pixels",
          "Ten weight vectors, one per digit; the highest score w_k . x + b_k wins. On a\n"
          "mistake the right template moves towards the image and the wrongly chosen one moves\n"
          "away. The averaged perceptron predicts with the average of the weights over every\n"
          "training step instead of the last ones (Freund and Schapire 1999).\n");
  common::Timer timer;
  const bool quick = lesson.flags.quick;
  const int64_t max_train = lesson.options.train_examples > 0 ? lesson.options.train_examples
                            : quick                           ? 2000
                                                              : 0;
  const int64_t max_test = lesson.options.test_examples > 0 ? lesson.options.test_examples
                           : quick                          ? 2000
                                                            : 0;
  const common::ImageDataset ds =
      common::load_image_dataset(lesson.flags.data_dir, "mnist", max_train, max_test);
  phase1::DigitConfig config;
  config.epochs = lesson.flags.epochs_or(quick ? 5 : config.epochs);
  config.lr = lesson.flags.lr_or(config.lr);
  config.seed = lesson.flags.seed;
  const int64_t n_train = ds.train_x.dim(0), n_test = ds.test_x.dim(0);
  say("  data: the first " + std::to_string(n_train) + " training images of the file, " +
      std::to_string(n_test) + " test images;\n        28x28 pixels scaled to [0, 1]\n  source: " +
      ds.variant + "\n  " + std::to_string(config.epochs) + " epochs, lr " + fmt("%g", config.lr) +
      ", shuffled with seed " + std::to_string(config.seed) + "\n\n");

  const phase1::DigitResult result =
      phase1::train_digits(ds.train_x, ds.train_y, ds.test_x, ds.test_y, config);
  say("    epoch  training mistakes   test accuracy (last weights)   (averaged weights)\n");
  for (const auto& e : result.log) {
    char line[128];
    std::snprintf(line, sizeof line, "    %5d  %17lld   %28.4f   %18.4f\n", e.epoch,
                  static_cast<long long>(e.mistakes), e.test_accuracy, e.averaged_test_accuracy);
    say(line);
  }
  const double acc_last = result.log.back().test_accuracy;
  const double acc_avg = result.log.back().averaged_test_accuracy;
  say("\n  test accuracy: perceptron " + fmt("%.4f", acc_last) + ", averaged perceptron " +
      fmt("%.4f", acc_avg) + "   (training: " + fmt("%.2f", result.train_seconds) + " s, " +
      fmt("%.0f", result.images_seen / std::max(result.train_seconds, 1e-9)) + " images/s)\n");

  const std::vector<int> predicted = phase1::digit_predict(result.averaged, ds.test_x);
  say("\n  Confusion matrix of the averaged perceptron on the test set (rows: true digit):\n" +
      phase1::format_confusion(phase1::confusion_matrix(predicted, ds.test_y, 10), 10));
  say("\n  The first misclassified test images (averaged perceptron):\n" +
      phase1::format_misclassified(ds.test_x, ds.test_y, predicted, 3, 28, 28));

  say("\n  The learned templates (red: ink there raises the digit's score, blue: lowers it):\n");
  write_picture(lesson, "digits_templates.png",
                phase1::template_grid(result.averaged, 28, 28, 5, 4));
  write_picture(lesson, "digits_templates_last.png",
                phase1::template_grid(result.last, 28, 28, 5, 4));
  common::Series last{.name = "last weights", .markers = true, .line = true};
  common::Series averaged{.name = "averaged weights", .markers = true, .line = true};
  for (const auto& e : result.log) {
    last.x.push_back(e.epoch);
    last.y.push_back(e.test_accuracy);
    averaged.x.push_back(e.epoch);
    averaged.y.push_back(e.averaged_test_accuracy);
  }
  common::make_dirs(lesson.flags.out_dir);
  const std::string svg = common::join_path(lesson.flags.out_dir, "digits_accuracy.svg");
  common::write_svg_line_chart(
      svg, {last, averaged},
      {.title = "Multi-class perceptron on MNIST", .x_label = "epoch", .y_label = "test accuracy"});
  say("    wrote " + svg + "\n");
  say("\n  A linear unit can only weigh pixels: each template is a blurred 'ideal' digit with\n"
      "  blue where other digits put ink. The last weights jump with the last few mistakes;\n"
      "  their average is a steadier vote. Neither can combine features (a loop AND a stem),\n"
      "  which is what hidden layers add in phase 2.\n");

  common::Json& m = lesson.metrics.experiment("digits");
  m["headline"] = common::Json::array({"test_accuracy", "averaged_test_accuracy", "seconds"});
  m["dataset"] = "mnist";
  m["dataset_variant"] = ds.variant;
  m["train_examples"] = n_train;
  m["test_examples"] = n_test;
  m["epochs"] = config.epochs;
  m["test_accuracy"] = acc_last;
  m["averaged_test_accuracy"] = acc_avg;
  common::Json per_epoch = common::Json::array();
  for (const auto& e : result.log) per_epoch.push_back(e.test_accuracy);
  m["test_accuracy_per_epoch"] = per_epoch;
  m["train_seconds"] = result.train_seconds;
  m["items_per_second"] = result.images_seen / std::max(result.train_seconds, 1e-9);
  m["seconds"] = timer.seconds();
}

// --- bench: training throughput ------------------------------------------------------------

void bench(Lesson& lesson) {
  const bool quick = lesson.flags.quick;
  const int64_t want = quick ? 2000 : 10000;
  const int epochs = quick ? 1 : 5, repeats = 3;
  heading("bench: digit-perceptron training throughput",
          "Online training (one image per step, averaged-perceptron bookkeeping included) on\n"
          "the first " +
              std::to_string(want) + " training images, " + std::to_string(epochs) +
              " epoch(s), best of " + std::to_string(repeats) +
              " runs. Fixed: --epochs and --lr do not apply.\n");
  const common::ImageDataset ds =
      common::load_image_dataset(lesson.flags.data_dir, "mnist", want, 1);
  const int64_t n = ds.train_x.dim(0), D = ds.train_x.dim(1);
  double best = 1e30;
  for (int r = 0; r < repeats; ++r) {
    phase1::DigitTrainer trainer = phase1::make_digit_trainer(10, D);
    common::Rng rng(lesson.flags.seed);
    std::vector<int64_t> order(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
    common::Timer timer;
    for (int e = 0; e < epochs; ++e) {
      rng.shuffle(order);
      phase1::perceptron_epoch(trainer, ds.train_x, ds.train_y, order, 1.0);
    }
    best = std::min(best, timer.seconds());
  }
  const double per_second = static_cast<double>(n * epochs) / best;
  const std::string cfg = "multi-class averaged perceptron, 784 pixels x 10 classes, " +
                          std::to_string(n) + " MNIST images x " + std::to_string(epochs) +
                          " epochs, online (1 image per step), 1 thread, best of 3";
  say("  " + fmt("%.0f", per_second) + " images/s  (" + fmt("%.4f", best) + " s for " +
      std::to_string(n * epochs) + " images)\n  config: " + cfg + "\n");
  common::Json& m = lesson.metrics.experiment("bench")["perceptron_train"];
  m["items_per_second"] = per_second;
  m["unit"] = "images";
  m["config"] = cfg;
}

}  // namespace

int main(int argc, char** argv) {
  return common::run_main(kPhase, [&] {
    common::flush_denormals_to_zero();
    common::FlagParser parser(
        kPhase,
        "Phase 1: McCulloch-Pitts threshold units (1943) wired into logic circuits, Rosenblatt's\n"
        "perceptron (1958) learning AND/OR/NAND and failing on XOR, Novikoff's convergence\n"
        "bound (1962), and a multi-class and averaged perceptron on MNIST digits.");
    parser.add_experiment("mcculloch_pitts",
                          "hand-wired gates, XOR network and 2-bit adder; truth tables");
    parser.add_experiment("perceptron_gates",
                          "the perceptron rule on AND, OR, NAND (converge) and XOR (cycles)");
    parser.add_experiment("convergence",
                          "mistakes until convergence vs Novikoff's bound (R/gamma)^2");
    parser.add_experiment("digits", "multi-class and averaged perceptron on MNIST (needs data)");
    parser.add_experiment("bench", "digit-perceptron training throughput in images/s (needs data)");
    Options options;
    parser.add_flag("train-examples", &options.train_examples,
                    "digits: use the first N training images; 0 = all present (--quick: 2000)");
    parser.add_flag("test-examples", &options.test_examples,
                    "digits: use the first N test images; 0 = all (--quick: 2000)");
    parser.add_flag("margin", &options.margin,
                    "convergence: half-width of the empty band, in (0, 1)");
    parser.set_epilog(
        "Defaults per experiment: perceptron_gates --lr 0.1, --epochs = the maximum number of\n"
        "epochs (50); convergence --lr 1 (it cancels out from w = 0); digits --epochs 10\n"
        "(--quick: 5), --lr 1 (it only scales the weights). --steps and --batch-size do not\n"
        "apply: the perceptron learns online, one example at a time.\n"
        "Data: digits and bench read DATA_DIR/mnist (fetch it with scripts/get_data.sh mnist):\n"
        "all training images present (10,000 from that script, 60,000 with the canonical\n"
        "files) and the 10,000 canonical test images.");
    const common::CommonFlags flags = parser.parse_or_exit(argc, argv);
    if (flags.steps > 0) {
      throw common::UsageError(
          "--steps does not apply: the perceptron learns online; use --epochs");
    }
    if (flags.batch_size > 0) {
      throw common::UsageError(
          "--batch-size does not apply: the perceptron updates after every single example");
    }
    if (options.train_examples < 0 || options.test_examples < 0) {
      throw common::UsageError("--train-examples and --test-examples must be >= 0");
    }
    if (!(options.margin > 0.0 && options.margin < 1.0)) {
      throw common::UsageError("--margin must be in (0, 1), got " + fmt("%g", options.margin));
    }

    Lesson lesson{flags, options,
                  common::Metrics(kPhase, flags.seed, common::num_threads(), flags.quick)};
    const std::string& which = flags.experiment;
    if (which.empty()) {
      say("Phase 1 -- from threshold logic to the perceptron. Four experiments, in the order\n"
          "the ideas appeared: hand-wired McCulloch-Pitts units (1943), Rosenblatt's learning\n"
          "rule (1958) and the XOR wall, Novikoff's convergence theorem (1962), and a digit\n"
          "recognizer made of ten perceptrons.\n");
      mcculloch_pitts(lesson);
      perceptron_gates(lesson);
      convergence(lesson);
      digits(lesson);
    } else if (which == "mcculloch_pitts") {
      mcculloch_pitts(lesson);
    } else if (which == "perceptron_gates") {
      perceptron_gates(lesson);
    } else if (which == "convergence") {
      convergence(lesson);
    } else if (which == "digits") {
      digits(lesson);
    } else if (which == "bench") {
      bench(lesson);
    }
    lesson.metrics.write(flags.json_path);
    if (!flags.json_path.empty()) say("\nmetrics written to " + flags.json_path + "\n");
    return 0;
  });
}
