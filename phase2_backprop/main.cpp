// phase2_backprop -- multi-layer perceptrons and backpropagation.
//
// What it builds: fully connected layers, sigmoid/tanh/ReLU, fused softmax-cross-entropy
// and mean squared error, each with a hand-written backward pass; three initialisations;
// SGD with momentum; gradient checks in double precision. Then it replays the experiments
// of Rumelhart, Hinton and Williams, "Learning representations by back-propagating
// errors" (Nature, 1986): XOR, the 8-3-8 encoder, symmetry detection; fits two generated
// non-linear data sets (two spirals, Lang and Witbrock 1988; two moons); and trains a
// 784-256-128-10 network on MNIST digits next to the phase-1 perceptron.
// What it leaves out: convolutions and recurrence (phase 3), adaptive optimisers,
// regularisation, normalisation (later phases).
//
// The files, one per idea, read in this order:
//   mlp.h              the model: matrix products, the linear layer, sigmoid/tanh/ReLU,
//                      softmax cross-entropy and MSE (each forward beside its backward), the
//                      initialisations, the network's forward and backward passes, SGD
//   gradcheck.h/.cpp   every gradient against central differences, in double precision
//   train.h/.cpp       the training loops: full batch (the 1986 tasks), mini-batches
//   datasets.h/.cpp    XOR, the encoder, symmetry, two moons, two spirals
//   perceptron.h/.cpp  phase 1's perceptron, copied forward for the digits comparison
//   pictures.h/.cpp    decision boundaries, hidden units
//   lesson.h, lesson_1986.cpp, lesson_data.cpp   the experiments (this file runs them)
// From an experiment, every layer's forward and backward is two steps away: train.cpp or
// gradcheck.cpp, then mlp.h.
//
//   build:  cmake --preset release && cmake --build build/release --target phase2_backprop
//   run:    build/release/phase2_backprop/phase2_backprop            # the whole lesson
//           build/release/phase2_backprop/phase2_backprop xor_seeds  # one experiment
//           build/release/phase2_backprop/phase2_backprop bench
//   test:   ctest --test-dir build/release -R phase2_backprop
#include <cstdio>
#include <string>
#include <vector>

#include "common.h"
#include "lesson.h"

namespace {

const char* kPhase = "phase2_backprop";

struct Experiment {
  const char* name;
  const char* description;
  const char* narration;  // printed before the experiment runs in the lesson
  // The common training flags the experiment reads; any other is refused (exit 2).
  bool uses_epochs = false;
  bool uses_batch_size = false;
  bool uses_lr = false;
};

const std::vector<Experiment> kExperiments = {
    {.name = "gradcheck",
     .description = "every gradient of four small networks against central differences",
     .narration =
         R"(Backpropagation computes every dL/dw in one backward sweep. Before trusting it, we
compare each gradient with a numeric one, (L(w+h) - L(w-h)) / 2h, in double precision.)"},
    {.name = "xor",
     .description = "a 2-2-1 sigmoid network learns XOR (the wall of phase 1 falls)",
     .narration =
         R"(A single perceptron cannot compute XOR (phase 1). Two hidden units can: each draws one
line, and the output unit combines the two half-planes.)",
     .uses_epochs = true,
     .uses_lr = true},
    {.name = "xor_seeds",
     .description = "success rate of 2-2-1, 2-3-1 and 2-4-1 networks on XOR over many seeds",
     .narration =
         R"(Gradient descent can get stuck. Over many random starts, how often does each network size
reach 100% within a fixed budget? The smallest network meets real local minima.)",
     .uses_epochs = true,
     .uses_lr = true},
    {.name = "encoder",
     .description = "the 8-3-8 encoder of Rumelhart, Hinton and Williams (1986)",
     .narration =
         R"(Eight one-hot patterns must pass through three hidden units and come out unchanged:
the network has to invent a 3-bit code, and backprop finds one.)",
     .uses_epochs = true,
     .uses_lr = true},
    {.name = "symmetry",
     .description = "6-bit symmetry detection with 2 hidden units (same paper)",
     .narration =
         R"(Is a 6-bit string a palindrome? Two hidden units suffice if their weights are mirror
images with opposite signs, in ratios 1:2:4 -- the solution the 1986 paper reports.)",
     .uses_epochs = true,
     .uses_lr = true},
    {.name = "moons",
     .description = "two interleaving half circles; held-out accuracy and a decision-boundary PNG",
     .narration =
         "Real non-linear data: two noisy half circles. A hidden layer bends the boundary.",
     .uses_epochs = true,
     .uses_batch_size = true,
     .uses_lr = true},
    {.name = "spirals",
     .description = "two spirals (Lang and Witbrock 1988); held-out accuracy and a PNG",
     .narration = "The classic hard case: two spirals wound three times around each other.",
     .uses_epochs = true,
     .uses_batch_size = true,
     .uses_lr = true},
    {.name = "digits",
     .description = "784-256-128-10 MLP on MNIST, next to the phase-1 perceptron; SVG curves",
     .narration =
         "Handwritten digits: the same backprop, 235,146 parameters, mini-batches through gemm.",
     .uses_epochs = true,
     .uses_batch_size = true,
     .uses_lr = true},
};

const Experiment kBench = {
    .name = "bench",
    .description = "training throughput of 784-256-128-10, batch 64 (images/s)",
    .narration = "",
    .uses_batch_size = true};

// Refuses, with exit code 2, a training flag that the chosen experiment (or, with none,
// the whole lesson, where every experiment has its own rate and length) would ignore.
void check_training_flags(const common::CommonFlags& flags, const Experiment* e) {
  const std::string who = e ? std::string(e->name) : std::string("the whole lesson");
  const std::string hint = e ? "" : " (name one experiment to set it)";
  if (flags.epochs > 0 && !(e && e->uses_epochs))
    throw common::UsageError("--epochs is not used by " + who + hint);
  if (flags.batch_size > 0 && !(e && e->uses_batch_size))
    throw common::UsageError("--batch-size is not used by " + who +
                             (e ? ": it trains on the full batch every step" : hint));
  if (flags.lr > 0 && !(e && e->uses_lr))
    throw common::UsageError("--lr is not used by " + who + hint);
}

}  // namespace

int main(int argc, char** argv) {
  return common::run_main(kPhase, [&]() {
    common::flush_denormals_to_zero();
    int seeds = 0;
    common::FlagParser parser(
        kPhase,
        "Multi-layer perceptrons trained by backpropagation: gradient checks, XOR, the 1986\n"
        "encoder and symmetry experiments, moons, spirals and MNIST digits.");
    for (const Experiment& e : kExperiments) parser.add_experiment(e.name, e.description);
    parser.add_experiment(kBench.name, kBench.description);
    parser.add_flag("seeds", &seeds,
                    "seeds of xor_seeds and of the encoder and symmetry sweeps "
                    "(0: 100 / 20 / 20; with --quick 20 / 5 / 5)");
    parser.set_epilog(
        "--lr is the step size on the MEAN loss of a batch, i.e. the paper's rate on its summed\n"
        "error times the number of patterns. Defaults: xor and xor_seeds 0.5, encoder 0.5,\n"
        "symmetry 6.4 (the paper's 0.1 on 64 patterns); moons 0.1, spirals 0.05, digits 0.05,\n"
        "each decayed linearly to 0. --batch-size applies to moons, spirals, digits and bench\n"
        "only (the 1986 tasks train on the full batch); gradcheck takes no training flag.\n"
        "Name one experiment to set --epochs, --batch-size or --lr.\n"
        "Data: digits reads data/mnist (scripts/get_data.sh mnist); everything else is\n"
        "generated. Pictures go to --out-dir (default out/phase2_backprop).");
    const common::CommonFlags flags = parser.parse_or_exit(argc, argv);

    phase2::LessonOptions options;
    options.seed = flags.seed;
    options.quick = flags.quick;
    options.epochs = flags.epochs;
    options.batch_size = flags.batch_size;
    options.lr = flags.lr;
    options.seeds = seeds;
    options.threads = common::num_threads();
    options.data_dir = flags.data_dir.empty() ? common::default_data_dir() : flags.data_dir;
    options.out_dir = flags.out_dir.empty() ? common::default_out_dir(kPhase) : flags.out_dir;
    if (seeds < 0) throw common::UsageError("--seeds must be >= 0");
    // Every experiment here counts its training in epochs (full sweeps over the data).
    if (flags.steps > 0)
      throw common::UsageError("--steps is not used by phase2_backprop: use --epochs");
    const Experiment* chosen = nullptr;
    for (const Experiment& e : kExperiments)
      if (flags.experiment == e.name) chosen = &e;
    if (flags.experiment == kBench.name) chosen = &kBench;
    if (!flags.experiment.empty() && chosen == nullptr)
      throw common::UsageError("unknown experiment '" + flags.experiment + "'");
    check_training_flags(flags, chosen);

    common::Metrics metrics(kPhase, flags.seed, options.threads, flags.quick);
    auto run = [&](const std::string& name) {
      if (name == "gradcheck") metrics.experiment(name) = phase2::run_gradcheck(options).to_json();
      if (name == "xor") metrics.experiment(name) = phase2::run_xor(options).to_json();
      if (name == "xor_seeds") metrics.experiment(name) = phase2::run_xor_seeds(options).to_json();
      if (name == "encoder") metrics.experiment(name) = phase2::run_encoder(options).to_json();
      if (name == "symmetry") metrics.experiment(name) = phase2::run_symmetry(options).to_json();
      if (name == "moons") metrics.experiment(name) = phase2::run_moons(options).to_json();
      if (name == "spirals") metrics.experiment(name) = phase2::run_spirals(options).to_json();
      if (name == "digits") metrics.experiment(name) = phase2::run_digits(options).to_json();
      if (name == "bench")
        metrics.experiment("bench")["mlp_train"] = phase2::run_bench(options).to_json();
    };

    common::Timer total;
    if (flags.experiment.empty()) {
      std::printf(
          "phase2_backprop: multi-layer perceptrons and backpropagation (seed %llu, %d "
          "threads%s)\n",
          static_cast<unsigned long long>(flags.seed), options.threads,
          flags.quick ? ", quick" : "");
      int k = 0;
      for (const Experiment& e : kExperiments) {
        std::printf("\n=== %d. %s: %s\n%s\n", ++k, e.name, e.description, e.narration);
        common::Timer t;
        run(e.name);
        std::printf("  (%s: %.1f s)\n", e.name, t.seconds());
        std::fflush(stdout);
      }
      std::printf("\nlesson finished in %s\n", common::format_duration(total.seconds()).c_str());
    } else {
      run(flags.experiment);
    }
    metrics.write(flags.json_path);
    if (!flags.json_path.empty()) std::printf("wrote %s\n", flags.json_path.c_str());
    return 0;
  });
}
