// CLI tests (label: cli): the phase3_cnn_rnn executable end to end -- help, errors and
// exit codes, missing data, the --json keys of every experiment (in --quick form).
#include <gtest/gtest.h>

#include <string>

#include "files.h"
#include "json.h"
#include "progress.h"
#include "test_support.h"

namespace {

using common::testing::run_command;
using common::testing::TempDir;

// One thread per program: ctest runs two test programs at a time on 2 cores.
const std::string kExe = std::string(PHASE_EXE) + " --threads 1";

common::Json run_json(const TempDir& dir, const std::string& args) {
  const std::string json = dir.file("metrics.json");
  const auto r = run_command(kExe + " " + args + " --out-dir " + dir.path() + " --json " + json);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return common::testing::parse_json(common::read_file_text(json));
}

int count_lines(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

void expect_keys(const common::Json& m, std::initializer_list<const char*> keys) {
  for (const char* key : keys) EXPECT_TRUE(m.contains(key)) << key;
}

TEST(Cli, HelpListsExperimentsAndFlags) {
  const auto r = run_command(kExe + " --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* word : {"lenet", "classical", "sequence", "char_rnn", "vanishing", "bench",
                           "--dataset", "--corpus", "--hidden", "--temperature", "get_data.sh"})
    EXPECT_NE(r.output.find(word), std::string::npos) << word;
}

TEST(Cli, BadInputIsOneLineAndExitCode2) {
  for (const char* args :
       {"--no-such-flag", "--epochs x", "--lr -1", "resnet", "lenet --dataset cifar10",
        "char_rnn --corpus war_and_peace", "char_rnn --temperature 0", "lenet char_rnn",
        "bench --lr 0.1", "bench --epochs 2", "lenet --steps 5", "char_rnn --epochs 2"}) {
    const auto r = run_command(kExe + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.output;
    EXPECT_EQ(count_lines(r.output), 1) << args << ": " << r.output;
  }
}

TEST(Cli, MissingDataNamesTheFetchCommand) {
  TempDir dir;
  const std::pair<const char*, const char*> cases[] = {
      {"lenet", "mnist"},
      {"lenet --dataset fashion-mnist", "fashion-mnist"},
      {"classical", "mnist"},
      {"char_rnn", "shakespeare"},
      {"char_rnn --corpus kjv", "kjv"}};
  for (const auto& [args, name] : cases) {
    const auto r = run_command(kExe + " " + args + " --quick --data-dir " + dir.file("none") +
                               " --out-dir " + dir.path());
    EXPECT_EQ(r.exit_code, 1) << args << ": " << r.output;
    EXPECT_NE(r.output.find(std::string("scripts/get_data.sh ") + name), std::string::npos)
        << args << ": " << r.output;
  }
}

TEST(Cli, SequenceJson) {
  TempDir dir;
  const common::Json j = run_json(dir, "sequence --quick");
  const common::Json& m = j.at("experiments").at("sequence");
  expect_keys(m, {"test_mse", "baseline_mse", "seconds"});
  EXPECT_LT(m.at("test_mse").as_number(), m.at("baseline_mse").as_number());
  EXPECT_TRUE(common::file_exists(dir.file("sequence_prediction.svg")));
  EXPECT_EQ(j.at("phase").as_string(), "phase3_cnn_rnn");
}

TEST(Cli, LenetJsonAndPictures) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  TempDir dir;
  const common::Json j = run_json(dir, "lenet --quick --epochs 1");
  const common::Json& m = j.at("experiments").at("lenet");
  expect_keys(m, {"dataset", "dataset_variant", "train_examples", "test_examples", "epochs",
                  "test_accuracy", "seconds"});
  EXPECT_EQ(m.at("dataset").as_string(), "mnist");
  EXPECT_EQ(m.at("epochs").as_number(), 1);
  EXPECT_GT(m.at("test_accuracy").as_number(), 0.9);
  for (const char* f :
       {"lenet_mnist_c1_filters.png", "lenet_mnist_c1_maps.png", "lenet_mnist_c3_maps.png",
        "lenet_mnist_misclassified.png", "lenet_mnist_loss.svg", "lenet_mnist_accuracy.svg"})
    EXPECT_TRUE(common::file_exists(dir.file(f))) << f;
}

TEST(Cli, ClassicalJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  TempDir dir;
  const common::Json j = run_json(dir, "classical --quick --epochs 1");
  const common::Json& m = j.at("experiments").at("classical");
  expect_keys(m, {"linear_test_accuracy", "knn_test_accuracy", "mlp_test_accuracy",
                  "lenet_test_accuracy", "seconds"});
  // The lesson of the 1998 table: the convolutional network beats every method that
  // sees 784 unrelated numbers (seed 1, one epoch: LeNet 0.94, k-NN 0.93, MLP 0.89,
  // linear 0.87).
  const double lenet = m.at("lenet_test_accuracy").as_number();
  EXPECT_GT(lenet, m.at("mlp_test_accuracy").as_number());
  EXPECT_GT(lenet, m.at("linear_test_accuracy").as_number());
  EXPECT_GT(lenet, m.at("knn_test_accuracy").as_number());
  EXPECT_GT(m.at("mlp_test_accuracy").as_number(), m.at("linear_test_accuracy").as_number());
}

TEST(Cli, CharRnnThenVanishingJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "shakespeare");
  TempDir dir;
  const common::Json j = run_json(dir, "char_rnn --quick --steps 60 --sample-chars 100");
  const common::Json& m = j.at("experiments").at("char_rnn");
  expect_keys(
      m, {"corpus", "val_loss", "tokens_per_second", "sample", "known_word_fraction", "seconds"});
  EXPECT_EQ(m.at("corpus").as_string(), "shakespeare");
  EXPECT_EQ(m.at("sample").as_string().substr(0, 6), "ROMEO:");
  // vanishing reads the model char_rnn saved in the same --out-dir.
  const auto r = run_command(kExe + " vanishing --quick --out-dir " + dir.path() + " --json " +
                             dir.file("v.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("using the model the char_rnn experiment saved"), std::string::npos)
      << r.output;
  const common::Json v = common::testing::parse_json(common::read_file_text(dir.file("v.json")));
  const common::Json& van = v.at("experiments").at("vanishing");
  expect_keys(van, {"decay_per_step", "ratio_k50_k1", "mean_norm", "headline"});
  EXPECT_GT(van.at("mean_norm").at(size_t{1}).as_number(), 0.0);  // the gradient reaches back ...
  EXPECT_GT(van.at("decay_per_step").as_number(), 0.3);           // ... and decays per step
  EXPECT_LT(van.at("decay_per_step").as_number(), 0.95);
  EXPECT_TRUE(common::file_exists(dir.file("vanishing_gradient.svg")));
}

TEST(Cli, BenchJson) {
  AIJ_REQUIRE_DATA(common::default_data_dir(), "mnist");
  AIJ_REQUIRE_DATA(common::default_data_dir(), "shakespeare");
  TempDir dir;
  const common::Json j = run_json(dir, "bench --quick");
  const common::Json& b = j.at("experiments").at("bench");
  for (const char* model : {"lenet_train", "lenet_infer", "char_rnn_train"}) {
    expect_keys(b.at(model), {"items_per_second", "unit", "config"});
    EXPECT_GT(b.at(model).at("items_per_second").as_number(), 0.0) << model;
    // The configuration the twin mirrors is spelled out, with the thread count.
    EXPECT_NE(b.at(model).at("config").as_string().find("thread(s)"), std::string::npos);
  }
  EXPECT_EQ(b.at("lenet_train").at("unit").as_string(), "images");
  EXPECT_EQ(b.at("lenet_infer").at("unit").as_string(), "images");
  EXPECT_EQ(b.at("char_rnn_train").at("unit").as_string(), "tokens");
  EXPECT_NE(b.at("lenet_train").at("config").as_string().find("batch 64"), std::string::npos);
  EXPECT_NE(b.at("char_rnn_train").at("config").as_string().find("hidden 256"), std::string::npos);
  // A forward pass costs about a third of a training step (forward + backward + update):
  // inference must be the faster of the two (measured 3.2 times here).
  EXPECT_GT(b.at("lenet_infer").at("items_per_second").as_number(),
            b.at("lenet_train").at("items_per_second").as_number());
}

}  // namespace
