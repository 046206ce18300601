// phase4_lstm_gan/main.cpp -- the lesson driver of phase 4: the LSTM remembers across 100+
// steps where the RNN fails; a GAN draws digits and then clothes.
//
// What this phase builds (one file per idea, read in this order):
//   layers.h            matrix products (common/matmul.h), initialisation, tanh, sigmoid,
//                       fully connected layer, softmax cross-entropy (copied from phase 3)
//   rnn.h/.cpp          the vanilla RNN of phase 3 (Elman 1990) and its BPTT, copied forward
//                       as the opponent
//   lstm.h/.cpp         the LSTM (Hochreiter and Schmidhuber 1997, forget gate of Gers et al.
//                       2000): the layer's forward and backward through time side by side,
//                       stacked layers, forget-bias and chrono initialisation
//   adam.h/.cpp         Adam and gradient-norm clipping (copied from phase 3)
//   adding.h/.cpp       experiment long_lag: the adding problem, RNN against LSTM
//   sentiment.h/.cpp    experiment sentiment: a word LSTM against a bag-of-words logistic
//                       regression on the UCI Sentiment Labelled Sentences
//   char_lstm.h/.cpp    experiment char_lstm: a character LSTM on tiny Shakespeare against
//                       phase 3's RNN (truncated BPTT, sampling)
//   lesson_lstm.cpp     the experiments' narration, pictures and --json (and `bench`)
// The GAN half (Goodfellow et al. 2014; DCGAN, Radford et al. 2015; conditional GAN, Mirza and
// Osindero 2014), in this order:
//   gan_layers.h        linear, LeakyReLU, tanh, sigmoid + binary cross-entropy from logits,
//                       the DCGAN settings of Adam (adam.h), in namespace phase4::gan
//   gan.h/.cpp          the game: both losses, alternating updates; the MLP GAN and the cGAN
//   deconv.h            the transposed convolution: plain loops, then im2col/col2im
//   batchnorm.h         batch normalisation per channel
//   gan_conv.h          the strided convolution of the discriminator (copied from phase 3)
//   dcgan.h/.cpp        the DCGAN
//   evaluator.h/.cpp    the CNN that scores the samples (confident fraction, class entropy,
//                       classes covered), copied from phase 3's LeNet-5
//   lesson_gan.h/.cpp   experiment gan: narration, sample grids, curves, --json (and its bench)
// Reading path: this file and lesson_lstm.cpp -> the task (adding.cpp, sentiment.cpp,
// char_lstm.h/.cpp) -> the layers (lstm.h, rnn.h, layers.h): every layer's forward and
// backward is at most two steps from the driver; for the GAN, lesson_gan.cpp -> gan.cpp or
// dcgan.cpp -> the layers (gan_layers.h, deconv.h, batchnorm.h, gan_conv.h).
// What it leaves out: peephole connections (Gers and Schmidhuber 2000), the GRU (2014),
// bidirectional layers, dropout between layers; Wasserstein and other GAN losses, spectral
// normalisation, diffusion models.
//
// Build, run, test (from the repository root):
//   cmake --preset release -DAIJ_PHASES=phase4_lstm_gan
//   cmake --build build/release --target phase4_lstm_gan
//   build/release/phase4_lstm_gan/phase4_lstm_gan                  # the whole lesson
//   build/release/phase4_lstm_gan/phase4_lstm_gan long_lag --length 100
//   build/release/phase4_lstm_gan/phase4_lstm_gan char_lstm --quick  # seconds
//   build/release/phase4_lstm_gan/phase4_lstm_gan gan --model dcgan --epochs 5
//   ctest --test-dir build/release -R phase4_lstm_gan -LE full
#include <string>

#include "common.h"
#include "lesson.h"
#include "lesson_gan.h"

namespace phase4_lesson {

constexpr const char* kPhase = "phase4_lstm_gan";

// A training flag the named experiment would ignore is refused (exit 2).
void check_flags(const common::CommonFlags& f, const Options& o, const Options& defaults) {
  const std::string& e = f.experiment;
  if (e == "bench" && (f.steps > 0 || f.epochs > 0 || f.batch_size > 0 || f.lr > 0))
    throw common::UsageError(
        "bench measures fixed configurations: --steps, --epochs, --batch-size and --lr are not "
        "used");
  if (f.epochs > 0 && e != "sentiment" && e != "gan" && e != "bench")
    throw common::UsageError("--epochs is not used by " + (e.empty() ? "the lesson" : e) +
                             ": it counts steps (--steps)");
  if (f.steps > 0 && (e == "sentiment" || e == "gan"))
    throw common::UsageError("--steps is not used by " + e + ": it counts epochs (--epochs)");
  if (e != "gan" && !e.empty() && (o.dataset != defaults.dataset || o.model != defaults.model))
    throw common::UsageError("--dataset and --model are for gan");
  if (o.dataset != "mnist" && o.dataset != "fashion-mnist")
    throw common::UsageError("--dataset expects mnist or fashion-mnist, got '" + o.dataset + "'");
  if (o.model != "all" && o.model != "mlp" && o.model != "dcgan" && o.model != "cgan")
    throw common::UsageError("--model expects all, mlp, dcgan or cgan, got '" + o.model + "'");
  if (e != "long_lag" && e != "char_lstm" && !e.empty() && o.hidden != defaults.hidden)
    throw common::UsageError("--hidden is not used by " + e);
  if (e != "long_lag" && !e.empty() &&
      (o.length != defaults.length || o.forget_init != defaults.forget_init))
    throw common::UsageError("--length and --forget-init are for long_lag");
  if (o.length != 0 && o.length < 4) throw common::UsageError("--length expects at least 4");
  if (o.forget_init != "chrono" && o.forget_init != "bias1")
    throw common::UsageError("--forget-init expects chrono or bias1, got '" + o.forget_init + "'");
  if (o.hidden < 0) throw common::UsageError("--hidden expects a positive integer");
  if (e != "char_lstm" && !e.empty() &&
      (o.layers != defaults.layers || o.temperature != defaults.temperature ||
       o.sample_chars != defaults.sample_chars))
    throw common::UsageError("--layers, --temperature and --sample-chars are for char_lstm");
  if (o.layers < 1) throw common::UsageError("--layers expects a positive integer");
  if (!(o.temperature > 0.0)) throw common::UsageError("--temperature expects a positive number");
  if (o.sample_chars < 1) throw common::UsageError("--sample-chars expects a positive integer");
}

}  // namespace phase4_lesson

using namespace phase4_lesson;  // NOLINT: the lesson's experiments, in order, below

int main(int argc, char** argv) {
  return common::run_main(kPhase, [&] {
    common::flush_denormals_to_zero();  // docs/CONVENTIONS.md §8: subnormals slow the RNN down
    common::FlagParser parser(
        kPhase,
        R"(Phase 4: the LSTM (Hochreiter and Schmidhuber 1997, with the forget gate of 2000),
written out by hand with backpropagation through time, against phase 3's vanilla RNN
on the adding problem, where the answer depends on inputs 100 and more steps back;
then generative adversarial networks (Goodfellow et al. 2014): an MLP GAN, a DCGAN and
a conditional GAN draw digits, scored by a CNN, and the DCGAN draws clothes.)");
    parser.add_experiment("long_lag",
                          "adding problem, RNN vs LSTM at T = 20, 50, 100, 200 (--length T)");
    parser.add_experiment("sentiment",
                          "word LSTM against bag-of-words logistic regression on 3,000 reviews");
    parser.add_experiment("char_lstm",
                          "character LSTM on tiny Shakespeare against phase 3's RNN; a sample");
    parser.add_experiment("gan",
                          "MLP GAN, DCGAN, conditional GAN on digits; --dataset fashion-mnist");
    parser.add_experiment("bench", "char-LSTM tokens/s; MLP GAN and DCGAN seconds per epoch");
    Options options;
    const Options defaults = options;
    parser.add_flag("length", &options.length,
                    "long_lag: one sequence length T; 0: 20, 50, 100, 200");
    parser.add_flag("forget-init", &options.forget_init,
                    "long_lag: the LSTM's forget gate bias: chrono (Tallec and Ollivier 2018) "
                    "or bias1");
    parser.add_flag("hidden", &options.hidden,
                    "long_lag, char_lstm: hidden units of both models; 0: 64 and 256 (32 and 64 "
                    "with --quick)");
    parser.add_flag("layers", &options.layers, "char_lstm: stacked LSTM layers");
    parser.add_flag("temperature", &options.temperature, "char_lstm: sampling temperature");
    parser.add_flag("sample-chars", &options.sample_chars, "char_lstm: length of the final sample");
    parser.add_flag("dataset", &options.dataset, "gan: mnist (all three GANs) or fashion-mnist");
    parser.add_flag("model", &options.model, "gan: all, mlp, dcgan or cgan");
    parser.set_epilog(
        R"(--lr is Adam's learning rate: long_lag 1e-3 (constant), char_lstm 3e-3 (cosine decay to
0), sentiment 2e-3 for the LSTM (cosine decay to 0; the bag of words has its own fixed
0.05), gan 2e-4 for both nets (constant, beta1 0.5). --steps: Adam steps per model;
--epochs: sentiment's passes over the training set (default 8), or every GAN's epochs
(default MLP 30, DCGAN 20, cGAN 100, Fashion DCGAN 20); --batch-size: sequences
(long_lag, default 64), sentences (sentiment, 32), text streams (char_lstm, 32) or
images (gan, 64) per step.
Data (fetched by scripts/get_data.sh NAME into data/NAME): sentiment, shakespeare, mnist,
fashion-mnist.
Pictures and charts go to --out-dir.)");
    const common::CommonFlags flags = parser.parse_or_exit(argc, argv);
    check_flags(flags, options, defaults);
    Lesson lesson{
        .flags = flags,
        .options = options,
        .metrics = common::Metrics(kPhase, flags.seed, common::num_threads(), flags.quick)};
    if (flags.quick) common::ProgressBar::set_enabled(false);

    const std::string& e = flags.experiment;
    if (e == "long_lag") long_lag(lesson);
    if (e == "sentiment") sentiment(lesson);
    if (e == "char_lstm") char_lstm(lesson);
    if (e == "gan")
      phase4::run_gan_experiment(flags, options.dataset, options.model, lesson.metrics);
    if (e == "bench") {
      bench(lesson);
      phase4::run_gan_bench(flags, lesson.metrics.experiment("bench"));
    }
    if (e.empty()) {
      say(R"(Phase 4: long short-term memory, then generative adversarial networks. Experiments in
teaching order: long_lag, sentiment, char_lstm, gan (digits, then clothes).
)");
      long_lag(lesson);
      sentiment(lesson);
      char_lstm(lesson);
      phase4::run_gan_experiment(flags, "mnist", "all", lesson.metrics);
      phase4::run_gan_experiment(flags, "fashion-mnist", "all", lesson.metrics);
    }
    lesson.metrics.write(flags.json_path);
    if (!flags.json_path.empty()) say("\nmetrics: " + flags.json_path + "\n");
    return 0;
  });
}
