// phase3_cnn_rnn/bench.cpp -- see bench.h.
#include "bench.h"

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "char_rnn.h"
#include "common.h"
#include "lenet.h"

namespace phase3 {

using common::fmt;
using common::heading;
using common::say;

void run_bench(const std::string& data_dir, uint64_t seed, bool quick, common::Json& b) {
  heading("bench: training and inference throughput",
          "Fixed configurations, mirrored by pytorch/twin.py: (a) LeNet-5 with ReLU and\n"
          "max-pooling, batch 64, SGD with momentum, one epoch over the MNIST training images;\n"
          "inference 1000 images per call over the test images; (b) the char-RNN, embedding 64,\n"
          "hidden 256, 32 x 100 characters per step, Adam, clipping, 100 steps. Each figure is\n"
          "the best of 3 runs. --epochs, --steps, --batch-size and --lr are refused.\n");
  const int threads = common::num_threads();
  const common::ImageDataset ds =
      common::load_image_dataset(data_dir, "mnist", quick ? 2000 : 0, quick ? 2000 : 0);
  // (a) LeNet-5 training over one epoch (after a warm-up of a few steps).
  phase3::LeNet model{phase3::LeNetConfig{}};
  common::Rng rng(seed);
  phase3::lenet_init(model.params, model.config, rng);
  const int64_t B = 64, n = ds.train_x.dim(0);
  phase3::LeNetState state(model.config, B);
  common::BatchIterator batches(n, B, &rng);
  common::Tensor bx({B, 784});
  std::vector<int> by(static_cast<size_t>(B));
  const phase3::SgdConfig sgd;
  auto epoch = [&](int64_t max_steps) {
    int64_t images = 0, steps = 0;
    batches.start_epoch();
    std::span<const int64_t> idx;
    while (steps < max_steps && batches.next(idx)) {
      common::gather_rows(ds.train_x, idx, bx);
      for (size_t i = 0; i < idx.size(); ++i) by[i] = ds.train_y[static_cast<size_t>(idx[i])];
      phase3::lenet_train_step(model, state, bx.data(), by.data(), static_cast<int64_t>(idx.size()),
                               0.01f, sgd);
      images += static_cast<int64_t>(idx.size());
      ++steps;
    }
    return images;
  };
  // Each measurement is the best of 3 (short runs: the best is the least disturbed by
  // other programs).
  constexpr int kRepeats = 3;
  epoch(5);  // warm-up: caches, page faults, the thread pool
  double train_ips = 0.0;
  for (int r = 0; r < kRepeats; ++r) {
    common::Timer t_train;
    const int64_t images = epoch(1 << 30);
    train_ips = std::max(train_ips, static_cast<double>(images) / t_train.seconds());
  }
  // Inference over the test set, 1000 images per call (lenet_predict runs them through
  // the network in blocks of 64, see lenet.h).
  const int64_t n_test = ds.test_x.dim(0);
  std::vector<int> predicted(static_cast<size_t>(n_test));
  auto infer = [&] {
    for (int64_t start = 0; start < n_test; start += 1000)
      phase3::lenet_predict(predicted.data() + start, model.params, model.config,
                            ds.test_x.row(start), std::min<int64_t>(1000, n_test - start));
  };
  infer();  // warm-up
  double infer_ips = 0.0;
  for (int r = 0; r < kRepeats; ++r) {
    common::Timer t_infer;
    infer();
    infer_ips = std::max(infer_ips, static_cast<double>(n_test) / t_infer.seconds());
  }

  // (b) char-RNN training steps.
  const phase3::CharCorpus text =
      phase3::load_char_corpus(data_dir, "shakespeare", quick ? 300000 : 0);
  phase3::CharRnnTrainConfig rt;
  rt.steps = quick ? 10 : 100;
  rt.eval_every = 1 << 30;  // no evaluation inside the timed loop
  rt.verbose = false;
  rt.seed = seed;
  // warm-up run, then the timed one (train_char_rnn times the steps only, not the final
  // validation pass)
  phase3::RnnConfig rc{
      .vocab = text.vocab.size(), .input = 64, .hidden = 256, .output = text.vocab.size()};
  phase3::CharRnn rnn(rc);
  phase3::CharRnnTrainConfig warm = rt;
  warm.steps = 3;
  phase3::train_char_rnn(rnn, text, warm);
  double rnn_tps = 0.0;
  for (int r = 0; r < kRepeats; ++r)
    rnn_tps = std::max(rnn_tps, phase3::train_char_rnn(rnn, text, rt).tokens_per_second);

  const std::string th = std::to_string(threads) + " thread(s)";
  const std::string lenet_cfg =
      "LeNet-5 ReLU + max-pool, batch 64, SGD momentum 0.9, best of 3 "
      "epochs of " +
      std::to_string(n) + " MNIST training images, " + th;
  const std::string infer_cfg =
      "LeNet-5 ReLU + max-pool, forward only, batch 1000 (run in "
      "blocks of 64), best of 3 passes over " +
      std::to_string(n_test) + " MNIST test images, " + th;
  const std::string rnn_cfg = "char-RNN embedding 64, hidden 256, vocab " +
                              std::to_string(rc.vocab) +
                              ", sequence 100, batch 32, Adam, clip 5, " + "best of 3 runs of " +
                              std::to_string(rt.steps) + " steps, " + th;
  say("  LeNet-5 training   " + fmt("%9.0f", train_ips) + " images/s   (" + lenet_cfg + ")\n");
  say("  LeNet-5 inference  " + fmt("%9.0f", infer_ips) + " images/s   (" + infer_cfg + ")\n");
  say("  char-RNN training  " + fmt("%9.0f", rnn_tps) + " tokens/s   (" + rnn_cfg + ")\n");
  b["lenet_train"]["items_per_second"] = train_ips;
  b["lenet_train"]["unit"] = "images";
  b["lenet_train"]["config"] = lenet_cfg;
  b["lenet_infer"]["items_per_second"] = infer_ips;
  b["lenet_infer"]["unit"] = "images";
  b["lenet_infer"]["config"] = infer_cfg;
  b["char_rnn_train"]["items_per_second"] = rnn_tps;
  b["char_rnn_train"]["unit"] = "tokens";
  b["char_rnn_train"]["config"] = rnn_cfg;
}

}  // namespace phase3
