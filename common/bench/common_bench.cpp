// common_bench -- how fast the shared gemm kernel is on this machine, and how close to the
// machine's limit.
//
//   common_bench [--json FILE] [--min-seconds S] [--quick] [--shapes 1024,rnn_step_fwd,...]
//
// Prints the CPU, the instruction set and register tile the kernel was compiled for, the
// machine's measured multiply-add peak at that vector width (1 and 2 threads), then GFLOP/s
// (2*M*N*K floating-point operations per product) and the fraction of peak for square sizes
// and for the shapes the phases' layers really produce, with 1 and 2 threads. A benchmark,
// not a test: run it on an otherwise idle machine. common/bench/torch_gemm.py measures
// torch.mm on the same shapes.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "error.h"
#include "files.h"
#include "gemm.h"
#include "json.h"
#include "progress.h"
#include "rng.h"
#include "thread_pool.h"

namespace {

struct Shape {
  const char* label;
  int64_t m, n, k;
  bool trans_a, trans_b;
  const char* note;
};

// The same list as torch_gemm.py. op(A) is (M, K), op(B) is (K, N); "nt" = B transposed.
const std::vector<Shape> kSquare = {
    {"128", 128, 128, 128, false, false, "square"},
    {"256", 256, 256, 256, false, false, "square"},
    {"512", 512, 512, 512, false, false, "square"},
    {"1024", 1024, 1024, 1024, false, false, "square"},
    {"2048", 2048, 2048, 2048, false, false, "square"},
};
const std::vector<Shape> kLayers = {
    {"lenet_c1_fwd", 6, 50176, 25, false, false,
     "phase 3 LeNet C1, batch 64: W (6,25) cols (25,N*28*28)"},
    {"lenet_c1_dw", 6, 25, 12544, false, true,
     "phase 3 LeNet C1 dW += d_out cols^T (a quarter of the batch)"},
    {"lenet_c3_fwd", 16, 6400, 150, false, false,
     "phase 3 LeNet C3, batch 64: W (16,150) cols (150,N*10*10)"},
    {"lenet_c3_dcols", 150, 6400, 16, true, false, "phase 3 LeNet C3 d_cols = W^T d_out"},
    {"mlp_fc1_fwd", 64, 256, 784, false, true, "phase 2 MLP y = x W^T, batch 64, 784 -> 256"},
    {"mlp_fc1_dw", 256, 784, 64, true, false, "phase 2 MLP dW = dY^T X, batch 64"},
    {"rnn_input", 3200, 256, 65, false, true, "phase 3 char-RNN x W_xh^T, T*B = 100*32 rows"},
    {"rnn_step_fwd", 32, 256, 256, false, true, "phase 3 char-RNN step h W_hh^T, batch 32"},
    {"rnn_step_bwd", 32, 256, 256, false, false, "phase 3 char-RNN step back dA W_hh"},
    {"rnn_dw_hh", 256, 256, 3200, true, false, "phase 3 char-RNN dW_hh = dA^T H over T*B rows"},
    {"rnn_logits", 3200, 65, 256, false, true, "phase 3 char-RNN logits h W_hy^T, 65 characters"},
    {"attn_scores", 128, 128, 32, false, true, "attention per head: Q K^T, T = 128, head 32"},
    {"attn_context", 128, 32, 128, false, false, "attention per head: P V"},
    {"gpt_qkv", 2048, 384, 128, false, true, "small GPT projection x W^T: (B*T, C) x (C, 3C)"},
    {"gen_matvec_nt", 1, 1152, 384, false, true, "generation, one token: x W^T, W (1152, 384)"},
    {"gen_matvec_nn", 1, 1152, 384, false, false, "generation, one token: x W, W (384, 1152)"},
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
    best = std::max(best, 2.0 * s.m * s.n * s.k * reps / t.seconds() * 1e-9);
  }
  return best;
}

// The multiply-add peak at the kernel's vector width: every thread runs the probe at once.
double measure_peak_gflops(int threads, double seconds) {
  common::set_num_threads(threads);
  constexpr int64_t kIterations = 1 << 16;
  common::gemm_fma_peak_probe(kIterations);  // warm-up: wakes the core to full clock
  double best = 0.0;
  for (int round = 0; round < 3; ++round) {
    common::Timer t;
    double flops = 0.0;
    do {
      std::vector<double> done(static_cast<size_t>(threads));
      common::parallel_tasks(threads, [&](int i) {
        done[static_cast<size_t>(i)] = common::gemm_fma_peak_probe(kIterations * 16);
      });
      for (double d : done) flops += d;
    } while (t.seconds() < seconds / 3);
    best = std::max(best, flops / t.seconds() * 1e-9);
  }
  return best;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown CPU (no /proc/cpuinfo)";
}

std::string compiler() {
#if defined(__clang__)
  return std::string("Clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("GCC ") + __VERSION__;
#elif defined(_MSC_VER)
  return "MSVC " + std::to_string(_MSC_VER);
#else
  return "unknown compiler";
#endif
}

void run_table(const char* title, const std::vector<Shape>& shapes, double min_seconds,
               const double peak[2], common::Json& out) {
  std::printf("\n%s\n%-16s %5s %6s %6s %2s  %9s %6s  %9s %6s %7s\n", title, "shape", "M", "N", "K",
              "op", "1 thread", "peak", "2 threads", "peak", "2T/1T");
  for (const Shape& s : shapes) {
    const double g1 = measure_gflops(s, 1, min_seconds);
    const double g2 = measure_gflops(s, 2, min_seconds);
    const char op[3] = {s.trans_a ? 't' : 'n', s.trans_b ? 't' : 'n', 0};
    std::printf("%-16s %5lld %6lld %6lld %2s  %9.1f %5.0f%%  %9.1f %5.0f%% %6.2fx\n", s.label,
                static_cast<long long>(s.m), static_cast<long long>(s.n),
                static_cast<long long>(s.k), op, g1, 100 * g1 / peak[0], g2, 100 * g2 / peak[1],
                g2 / g1);
    std::fflush(stdout);
    common::Json& row = out[s.label];
    row["m"] = s.m;
    row["n"] = s.n;
    row["k"] = s.k;
    row["trans_a"] = s.trans_a;
    row["trans_b"] = s.trans_b;
    row["threads_1"] = g1;
    row["threads_2"] = g2;
    row["peak_fraction_1"] = g1 / peak[0];
    row["peak_fraction_2"] = g2 / peak[1];
    row["note"] = s.note;
  }
}

}  // namespace

int main(int argc, char** argv) {
  return common::run_main("common_bench", [&] {
    std::string json_path;
    double min_seconds = 0.6;
    bool quick = false;
    std::vector<std::string> only;  // --shapes: these labels only
    for (int i = 1; i < argc; ++i) {
      const std::string arg = argv[i];
      if (arg == "--json" && i + 1 < argc) {
        json_path = argv[++i];
      } else if (arg == "--min-seconds" && i + 1 < argc) {
        min_seconds = std::stod(argv[++i]);
        if (!(min_seconds > 0 && min_seconds < 100))
          throw common::UsageError("--min-seconds wants a number of seconds in (0, 100)");
      } else if (arg == "--shapes" && i + 1 < argc) {
        std::string list = argv[++i];
        for (size_t start = 0; start <= list.size();) {
          const size_t comma = std::min(list.find(',', start), list.size());
          only.push_back(list.substr(start, comma - start));
          start = comma + 1;
        }
        for (const std::string& label : only) {
          bool known = false;
          for (const auto* table : {&kSquare, &kLayers})
            for (const Shape& s : *table) known = known || label == s.label;
          if (!known) throw common::UsageError("--shapes: no shape called '" + label + "'");
        }
      } else if (arg == "--quick") {
        quick = true;
        min_seconds = 0.05;
      } else if (arg == "--help" || arg == "-h") {
        std::printf(
            "usage: common_bench [--json FILE] [--min-seconds S] [--quick]\n"
            "The CPU, the kernel's instruction set and tile, the measured multiply-add peak,\n"
            "then GFLOP/s of common::gemm (and the fraction of peak) at square sizes 128..2048\n"
            "and at the shapes of the phases' layers, with 1 and 2 threads.\n"
            "  --min-seconds S  time spent on each figure (default 0.6)\n"
            "  --quick          a few shapes, briefly (a smoke test, not a measurement)\n"
            "  --shapes A,B     only the shapes with these labels (as printed)\n"
            "Run it on an otherwise idle machine.\n");
        return 0;
      } else {
        throw common::UsageError("unknown argument " + arg + " (see --help)");
      }
    }
    const common::GemmKernelInfo k = common::gemm_kernel_info();
    const double peak[2] = {measure_peak_gflops(1, min_seconds),
                            measure_peak_gflops(2, min_seconds)};
    std::printf("CPU:      %s (%d hardware threads)\n", cpu_model().c_str(),
                common::hardware_threads());
    std::printf("compiler: %s\n", compiler().c_str());
    std::printf(
        "kernel:   %s, %d-bit vectors, %d registers, tile %d x %d, blocks KC %d MC %d NC %d%s\n",
        k.instruction_set, k.vector_bits, k.registers, k.mr, k.nr, k.kc, k.mc, k.nc,
        k.vector_types ? "" : " (plain loops: no vector types)");
    std::printf("peak:     %.1f GFLOP/s on 1 thread, %.1f on 2 (independent %d-bit %s)\n", peak[0],
                peak[1], k.vector_bits, k.fma ? "FMAs" : "multiply-adds");

    common::set_num_threads(2);
    const double hand_off = common::parallel_hand_off_seconds();
    const int64_t serial_work = common::gemm_serial_work();
    std::printf(
        "threads:  a job handed to 2 threads costs %.2f us: products under %.2f M "
        "multiply-adds run on one\n",
        hand_off * 1e6, static_cast<double>(serial_work) / 1e6);

    common::Json root = common::Json::object();
    common::Json& machine = root["machine"];
    machine["cpu"] = cpu_model();
    machine["compiler"] = compiler();
    machine["instruction_set"] = k.instruction_set;
    machine["vector_bits"] = k.vector_bits;
    machine["tile"] = std::to_string(k.mr) + "x" + std::to_string(k.nr);
    machine["peak_gflops_1"] = peak[0];
    machine["peak_gflops_2"] = peak[1];
    machine["hand_off_seconds_2"] = hand_off;
    machine["serial_work_2"] = serial_work;
    common::Json& table = root["gemm"];
    table = common::Json::object();
    const auto pick = [&](const std::vector<Shape>& all) {
      std::vector<Shape> chosen;
      for (size_t i = 0; i < all.size(); ++i) {
        bool wanted = only.empty() ? !quick || i < 2 : false;
        for (const std::string& label : only) wanted = wanted || label == all[i].label;
        if (wanted) chosen.push_back(all[i]);
      }
      return chosen;
    };
    for (const auto& [title, shapes] : {std::pair{"square products", pick(kSquare)},
                                        std::pair{"the phases' layer shapes", pick(kLayers)}})
      if (!shapes.empty()) run_table(title, shapes, min_seconds, peak, table);
    std::printf(
        "(GFLOP/s = 2*M*N*K / seconds / 1e9, best of 3 rounds; peak = the measured\n"
        " multiply-add peak above at the same thread count)\n");
    if (!json_path.empty()) common::write_file_atomic(json_path, root.dump(2) + "\n");
    return 0;
  });
}
