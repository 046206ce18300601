// common_bench -- throughput of the shared gemm kernel.
//
//   common_bench [--json FILE] [--threads-list 1,2] [--min-seconds 0.5]
//
// Prints GFLOP/s (2*M*N*K floating-point operations per multiply) for square sizes
// and for the skinny shapes real layers produce, with 1 and 2 threads. A benchmark,
// not a test: run it on a quiet machine.
#include <cstdio>
#include <string>
#include <vector>

#include "cli.h"
#include "error.h"
#include "files.h"
#include "gemm.h"
#include "json.h"
#include "progress.h"
#include "rng.h"
#include "thread_pool.h"

namespace {

struct Shape {
  std::string label;
  int64_t m, n, k;
  bool trans_a = false, trans_b = false;
  std::string note;
};

double measure_gflops(const Shape& s, int threads, double min_seconds) {
  common::set_num_threads(threads);
  common::Rng rng(42);
  std::vector<float> a(static_cast<size_t>(s.m * s.k)), b(static_cast<size_t>(s.k * s.n)),
      c(static_cast<size_t>(s.m * s.n));
  for (auto& x : a) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : b) x = static_cast<float>(rng.uniform(-1, 1));
  const int64_t lda = s.trans_a ? s.m : s.k;
  const int64_t ldb = s.trans_b ? s.k : s.n;
  auto once = [&] {
    common::gemm(s.trans_a, s.trans_b, s.m, s.n, s.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f,
                 c.data(), s.n);
  };
  once();  // warm-up: page faults, buffer growth
  double best = 0.0;
  // Best of a few timed rounds, each long enough to swamp timer noise.
  for (int round = 0; round < 3; ++round) {
    common::Timer t;
    int64_t reps = 0;
    do {
      once();
      ++reps;
    } while (t.seconds() < min_seconds / 3);
    const double gflops = 2.0 * s.m * s.n * s.k * reps / t.seconds() * 1e-9;
    if (gflops > best) best = gflops;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  return common::run_main("common_bench", [&] {
    std::string json_path;
    double min_seconds = 0.6;
    bool quick = false;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--json" && i + 1 < argc) {
        json_path = argv[++i];
      } else if (arg == "--min-seconds" && i + 1 < argc) {
        min_seconds = std::stod(argv[++i]);
      } else if (arg == "--quick") {
        quick = true;
        min_seconds = 0.05;
      } else if (arg == "--help" || arg == "-h") {
        std::printf(
            "usage: common_bench [--json FILE] [--min-seconds S] [--quick]\n"
            "GFLOP/s of common::gemm at square sizes 128..2048 and at layer-shaped sizes,\n"
            "with 1 and 2 threads. Run it on an otherwise idle machine.\n");
        return 0;
      } else {
        throw common::UsageError("unknown argument " + arg);
      }
    }
    std::vector<Shape> shapes = {
        {"128", 128, 128, 128, false, false, "square"},
        {"256", 256, 256, 256, false, false, "square"},
        {"512", 512, 512, 512, false, false, "square"},
        {"1024", 1024, 1024, 1024, false, false, "square"},
        {"2048", 2048, 2048, 2048, false, false, "square"},
        {"lenet_c1_im2col", 50176, 6, 25, false, false,
         "LeNet C1 forward, batch 64: (N*28*28, 25) x (25, 6)"},
        {"lenet_c3_im2col", 6400, 16, 150, false, false,
         "LeNet C3 forward, batch 64: (N*10*10, 150) x (150, 16)"},
        {"mlp_fc1_backward_w", 256, 784, 64, true, false, "MLP dW1 = dY^T X, batch 64"},
        {"gpt_qkv", 2048, 384, 128, false, false, "small GPT projection: (B*T, C) x (C, 3C)"},
        {"gpt_qkv_wt", 2048, 384, 128, false, true, "same with the weight stored transposed"},
        {"rnn_step", 32, 256, 256, false, false, "char-RNN step: (B, H) x (H, H)"},
    };
    if (quick) shapes.resize(3);
    common::Json root = common::Json::object();
    common::Json& table = root["gemm"];
    table = common::Json::object();
    std::printf("%-20s %6s %6s %6s  %10s %10s %7s\n", "shape", "M", "N", "K", "1 thread",
                "2 threads", "speedup");
    for (const Shape& s : shapes) {
      const double g1 = measure_gflops(s, 1, min_seconds);
      const double g2 = measure_gflops(s, 2, min_seconds);
      std::printf("%-20s %6lld %6lld %6lld  %10.1f %10.1f %6.2fx\n", s.label.c_str(),
                  static_cast<long long>(s.m), static_cast<long long>(s.n),
                  static_cast<long long>(s.k), g1, g2, g2 / g1);
      std::fflush(stdout);
      common::Json& row = table[s.label];
      row["m"] = s.m;
      row["n"] = s.n;
      row["k"] = s.k;
      row["trans_a"] = s.trans_a;
      row["trans_b"] = s.trans_b;
      row["threads_1"] = g1;
      row["threads_2"] = g2;
      if (!s.note.empty()) row["note"] = s.note;
    }
    std::printf("(GFLOP/s = 2*M*N*K / seconds / 1e9; best of 3 rounds)\n");
    if (!json_path.empty()) common::write_file_atomic(json_path, root.dump(2) + "\n");
    return 0;
  });
}
