// phase4_lstm_gan/sentiment.h -- sentiment of short reviews (experiment sentiment): a
// word-level LSTM against a bag-of-words logistic regression, on the UCI Sentiment
// Labelled Sentences (Kotzias, Denil, de Freitas and Smyth, KDD 2015): 3,000 sentences
// from Amazon, IMDb and Yelp reviews, half positive, half negative.
//
// Data: lower-cased word tokens (runs of letters, digits and apostrophes); a fixed seeded
// split, 2,400 sentences for training and 600 for test; the vocabulary is the training
// set's words (an unknown word maps to id 1, padding is id 0).
//
// The baseline, bag of words (logistic regression with L2):
//   x = [word w occurs in the sentence] for every vocabulary word  (V)
//   p(positive) = sigmoid(w . x + b),  loss = mean BCE + (l2 / 2) |w|^2
// The LSTM (lstm.h, the model of the other experiments):
//   x_t = E[word_t] (64),  h_t = LSTM 1 x 128,  p = softmax(h_T W_hy^T + b_y) over 2 classes
// with h_T the state after the sentence's last word. A batch is padded on the LEFT to its
// longest sentence, so every sentence ends at the last step and h_T is read there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adam.h"
#include "lstm.h"

namespace phase4 {

// ---------------------------------------------------------------------------
// Data

struct SentimentData {
  std::string variant;                    // data/sentiment/SOURCE
  std::vector<std::string> words;         // id -> word; 0 "<pad>", 1 "<unk>"
  std::vector<std::vector<int>> train_x;  // word ids per sentence
  std::vector<std::vector<int>> test_x;
  std::vector<int> train_y, test_y;    // 1 = positive
  std::vector<std::string> test_text;  // the test sentences as written
};

// Lower-cased word tokens: "Great phone, isn't it?" -> great phone isn't it.
std::vector<std::string> word_tokens(const std::string& text);

// data/sentiment/sentences.tsv, split 2,400 / 600 by a fixed seed (the same split for
// every --seed: the seed changes the models' initialisation only).
SentimentData load_sentiment(const std::string& data_dir);

// ---------------------------------------------------------------------------
// The baseline: bag-of-words logistic regression

struct BowConfig {
  int64_t steps = 300;  // full-batch Adam steps
  float lr = 0.05f;
  float l2 = 1e-3f;  // (l2 / 2) |w|^2 added to the mean loss
};

struct BowModel {
  std::vector<float> w;  // (V) one weight per vocabulary word
  float b = 0.0f;
};

BowModel train_bow(const SentimentData& data, const BowConfig& config);
double bow_accuracy(const BowModel& model, const std::vector<std::vector<int>>& x,
                    const std::vector<int>& y);

// ---------------------------------------------------------------------------
// The word LSTM

struct SentimentLstmConfig {
  int64_t embed = 64;      // D
  int64_t hidden = 128;    // H
  int64_t batch = 32;      // sentences per step
  int64_t epochs = 8;      // passes over the training set
  int64_t max_words = 50;  // longer sentences keep their last 50 words
  AdamConfig adam{2e-3f};  // learning rate 2e-3, cosine decay to 0
  float clip = 1.0f;
  uint64_t seed = 1;
  bool verbose = true;
};

struct SentimentLstm {
  LstmConfig config;
  LstmParams params;
  explicit SentimentLstm(const LstmConfig& c) : config(c), params(c) {}
};

SentimentLstm train_sentiment_lstm(const SentimentData& data, const SentimentLstmConfig& config);
double lstm_accuracy(const SentimentLstm& model, const std::vector<std::vector<int>>& x,
                     const std::vector<int>& y);
// P(positive) after each word of one sentence (the running sentiment).
std::vector<double> running_sentiment(const SentimentLstm& model, const std::vector<int>& words);

}  // namespace phase4
