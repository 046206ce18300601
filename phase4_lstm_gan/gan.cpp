// phase4_lstm_gan/gan.cpp -- see gan.h: the training loop of the game, then the MLP GAN and
// the cGAN.
#include "gan.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "progress.h"

namespace phase4::gan {

// ---------------------------------------------------------------------------
// Training: alternating updates

std::vector<GanEpochRecord> train_gan(GanModel& model, const common::Tensor& images,
                                      const std::vector<int>& labels, const GanTrainConfig& config,
                                      const std::function<void(const GanEpochRecord&)>& on_epoch) {
  common::Rng rng(config.seed);
  model.init(rng);
  const int64_t n_train = images.dim(0), Z = model.z_dim();
  const int64_t B = std::min<int64_t>(config.batch_size, n_train);
  // The last short batch is dropped: BatchNorm's statistics of a handful of images are noise.
  common::BatchIterator batches(n_train, B, &rng, /*drop_last=*/true);
  const int64_t steps_per_epoch = batches.batches_per_epoch();
  common::Tensor batch({B, kPixels});     // (B, 784) real images in [0, 1]
  std::vector<float> real(B * kPixels);   // (B, 784) in [-1, 1]
  std::vector<float> fake(B * kPixels);   // (B, 784) G(z), kept through both steps
  std::vector<float> z(B * Z);            // (B, Z)
  std::vector<int> real_y(B), fake_y(B);  // (B) labels of the real batch, requested digits
  std::vector<float> real_logits(B), fake_logits(B), d_real(B), d_fake(B);  // (B)

  std::vector<GanEpochRecord> history;
  std::optional<common::ProgressBar> bar;
  if (config.verbose) bar.emplace(model.name() + " gan", steps_per_epoch * config.epochs, "step");
  int64_t step = 0;
  for (int epoch = 1; epoch <= config.epochs; ++epoch) {
    common::Timer clock;
    GanEpochRecord rec{.epoch = epoch};
    batches.start_epoch();
    std::span<const int64_t> idx;
    while (batches.next(idx)) {
      common::gather_rows(images, idx, batch);
      for (int64_t k = 0; k < B * kPixels; ++k) real[k] = 2.0f * batch[k] - 1.0f;  // [0,1]->[-1,1]
      for (int64_t n = 0; n < B; ++n) {
        real_y[n] = labels[static_cast<size_t>(idx[n])];
        fake_y[n] = static_cast<int>(rng.randint(0, kClasses));
      }
      for (float& v : z) v = static_cast<float>(rng.normal());

      // G(z): generated once, used by both steps (D's as a constant, G's differentiated).
      const float* g_out = model.generate(z.data(), fake_y.data(), B, /*train=*/true);
      std::copy(g_out, g_out + B * kPixels, fake.begin());

      // --- D's step: ascend log D(x) + log(1 - D(G(z))) on a real and a generated batch.
      // (Two forward passes, as in the DCGAN reference code: BatchNorm sees each batch alone.)
      model.zero_discriminator_grads();
      std::fill(d_real.begin(), d_real.end(), 0.0f);
      std::fill(d_fake.begin(), d_fake.end(), 0.0f);
      const float* l = model.discriminate(real.data(), real_y.data(), B);
      std::copy(l, l + B, real_logits.begin());
      bce_with_logits_backward(d_real.data(), real_logits.data(), 1.0f, B);  // of BCE(l_real, 1)
      model.discriminator_backward(d_real.data(), B, /*update_weights=*/true);
      l = model.discriminate(fake.data(), fake_y.data(), B);
      std::copy(l, l + B, fake_logits.begin());
      bce_with_logits_backward(d_fake.data(), fake_logits.data(), 0.0f, B);  // of BCE(l_fake, 0)
      model.discriminator_backward(d_fake.data(), B, /*update_weights=*/true);
      const float d_loss = discriminator_loss_forward(real_logits.data(), fake_logits.data(), B);
      model.step_discriminator(config.adam);

      // --- G's step: descend -log D(G(z)) (non-saturating) through the updated, frozen D.
      model.zero_generator_grads();
      l = model.discriminate(fake.data(), fake_y.data(), B);
      std::copy(l, l + B, fake_logits.begin());
      const float g_loss = generator_loss_forward(fake_logits.data(), B);
      std::fill(d_fake.begin(), d_fake.end(), 0.0f);
      generator_loss_backward(d_fake.data(), fake_logits.data(), B);
      const float* d_images = model.discriminator_backward(d_fake.data(), B, false);
      model.generator_backward(d_images, B);
      model.step_generator(config.adam);

      check_finite_loss(d_loss, step, model.name() + " gan (discriminator)");
      check_finite_loss(g_loss, step, model.name() + " gan (generator)");
      rec.d_loss += d_loss;
      rec.g_loss += g_loss;
      for (int64_t n = 0; n < B; ++n) {
        rec.d_real += sigmoid(real_logits[n]) / static_cast<double>(B);
        rec.d_fake += sigmoid(fake_logits[n]) / static_cast<double>(B);
      }
      ++step;
      if (bar) {
        char metric[96];
        std::snprintf(metric, sizeof metric, "epoch %d  D %.3f  G %.3f", epoch, d_loss, g_loss);
        bar->update(step, metric);
      }
    }
    const double steps = static_cast<double>(steps_per_epoch);
    rec.d_loss /= steps;
    rec.g_loss /= steps;
    rec.d_real /= steps;
    rec.d_fake /= steps;
    rec.seconds = clock.seconds();
    history.push_back(rec);
    if (on_epoch) on_epoch(rec);
  }
  if (bar) bar->finish();
  return history;
}

std::vector<float> fixed_noise(int64_t n, int64_t z_dim, uint64_t seed) {
  common::Rng rng(seed);
  std::vector<float> z(static_cast<size_t>(n * z_dim));
  for (float& v : z) v = static_cast<float>(rng.normal());
  return z;
}

std::vector<int> cycling_labels(int64_t n) {
  std::vector<int> y(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) y[static_cast<size_t>(i)] = static_cast<int>(i % kClasses);
  return y;
}

std::vector<float> sample_images(GanModel& model, const std::vector<float>& z,
                                 const std::vector<int>& labels, int64_t n) {
  constexpr int64_t kBlock = 100;
  std::vector<float> out(static_cast<size_t>(n * kPixels));
  for (int64_t start = 0; start < n; start += kBlock) {
    const int64_t count = std::min(kBlock, n - start);
    const float* g = model.generate(z.data() + start * model.z_dim(), labels.data() + start, count,
                                    /*train=*/false);
    for (int64_t k = 0; k < count * kPixels; ++k) out[start * kPixels + k] = 0.5f * (g[k] + 1.0f);
  }
  return out;
}

// ---------------------------------------------------------------------------
// The MLP: forward and backward

Mlp::Mlp(std::vector<int64_t> sizes_, bool tanh_output_, float slope_)
    : sizes(std::move(sizes_)), tanh_output(tanh_output_), slope(slope_) {
  int64_t n = 0;
  for (int64_t l = 0; l < layers(); ++l) {
    w_at.push_back(n);
    n += sizes[l + 1] * sizes[l];
    b_at.push_back(n);
    n += sizes[l + 1];
  }
  params.assign(static_cast<size_t>(n), 0.0f);
  grads.assign(static_cast<size_t>(n), 0.0f);
  adam = Adam(n);
}

void Mlp::init(common::Rng& rng) {
  for (int64_t l = 0; l < layers(); ++l) {
    init_uniform(params.data() + w_at[l], sizes[l + 1] * sizes[l], sizes[l], rng);
    init_uniform(params.data() + b_at[l], sizes[l + 1], sizes[l], rng);
  }
  adam = Adam(static_cast<int64_t>(params.size()));
}

void mlp_forward(MlpState& st, const Mlp& net, const float* in, int64_t N) {
  const int64_t L = net.layers();
  st.out.resize(L);
  st.in = in;
  st.N = N;
  for (int64_t l = 0; l < L; ++l) {
    const int64_t D_in = net.sizes[l], D_out = net.sizes[l + 1];
    std::vector<float>& out = st.out[l];  // (N, D_out)
    out.resize(static_cast<size_t>(N * D_out));
    const float* x = l == 0 ? in : st.out[l - 1].data();  // (N, D_in)
    // out = x W^T + b, then the activation in place
    linear_forward(out.data(), x, net.params.data() + net.w_at[l], net.params.data() + net.b_at[l],
                   N, D_in, D_out);
    if (l + 1 < L)
      leaky_relu_forward(out.data(), out.data(), N * D_out, net.slope);
    else if (net.tanh_output)
      tanh_forward(out.data(), out.data(), N * D_out);
  }
}

void mlp_backward(MlpState& st, Mlp& net, const float* d_output, bool update_weights,
                  bool input_gradient) {
  const int64_t L = net.layers(), N = st.N;
  st.d_out.resize(L);
  st.d_pre.resize(L);
  st.d_in.assign(static_cast<size_t>(N * net.sizes[0]), 0.0f);
  for (int64_t l = L - 1; l >= 0; --l) {
    const int64_t D_in = net.sizes[l], D_out = net.sizes[l + 1];
    const float* d_out = l == L - 1 ? d_output : st.d_out[l].data();  // (N, D_out)
    std::vector<float>& d_pre = st.d_pre[l];  // (N, D_out) before the activation
    d_pre.assign(static_cast<size_t>(N * D_out), 0.0f);
    // out = act(pre)
    if (l + 1 < L)
      leaky_relu_backward(d_pre.data(), d_out, st.out[l].data(), N * D_out, net.slope);
    else if (net.tanh_output)
      tanh_backward(d_pre.data(), d_out, st.out[l].data(), N * D_out);
    else
      std::copy(d_out, d_out + N * D_out, d_pre.begin());
    // pre = x W^T + b
    const float* x = l == 0 ? st.in : st.out[l - 1].data();
    float* d_x = nullptr;
    if (l > 0) {
      st.d_out[l - 1].assign(static_cast<size_t>(N * D_in), 0.0f);
      d_x = st.d_out[l - 1].data();
    } else if (input_gradient) {
      d_x = st.d_in.data();
    }
    linear_backward(d_x, update_weights ? net.grads.data() + net.w_at[l] : nullptr,
                    update_weights ? net.grads.data() + net.b_at[l] : nullptr, d_pre.data(), x,
                    net.params.data() + net.w_at[l], N, D_in, D_out);
  }
}

// ---------------------------------------------------------------------------
// The MLP GAN / cGAN

namespace {
std::vector<int64_t> stack(int64_t in, const std::vector<int64_t>& hidden, int64_t out) {
  std::vector<int64_t> sizes{in};
  sizes.insert(sizes.end(), hidden.begin(), hidden.end());
  sizes.push_back(out);
  return sizes;
}

// rows (N, D + classes) = [x (N, D), one-hot(labels)]; just x when classes == 0.
void append_one_hot(std::vector<float>& rows, const float* x, const int* labels, int64_t N,
                    int64_t D, int64_t classes) {
  const int64_t W = D + classes;
  rows.assign(static_cast<size_t>(N * W), 0.0f);
  for (int64_t n = 0; n < N; ++n) {
    std::copy(x + n * D, x + (n + 1) * D, rows.begin() + n * W);
    if (classes > 0) rows[static_cast<size_t>(n * W + D + labels[n])] = 1.0f;
  }
}
}  // namespace

MlpGan::MlpGan(const MlpGanConfig& config)
    : g(stack(config.z_dim + config.classes, config.g_hidden, kPixels), true, config.slope),
      d(stack(kPixels + config.classes, config.d_hidden, 1), false, config.slope),
      config_(config) {}

void MlpGan::init(common::Rng& rng) {
  g.init(rng);
  d.init(rng);
}

const float* MlpGan::generate(const float* z, const int* labels, int64_t N, bool /*train*/) {
  append_one_hot(g_in_, z, labels, N, config_.z_dim, config_.classes);  // (N, Z + classes)
  mlp_forward(g_state_, g, g_in_.data(), N);
  return g_state_.out.back().data();  // (N, 784)
}

void MlpGan::generator_backward(const float* d_images, int64_t /*N*/) {
  mlp_backward(g_state_, g, d_images, /*update_weights=*/true, /*input_gradient=*/false);
}

const float* MlpGan::discriminate(const float* images, const int* labels, int64_t N) {
  append_one_hot(d_in_, images, labels, N, kPixels, config_.classes);  // (N, 784 + classes)
  mlp_forward(d_state_, d, d_in_.data(), N);
  return d_state_.out.back().data();  // (N, 1)
}

const float* MlpGan::discriminator_backward(const float* d_logits, int64_t N, bool update_weights) {
  mlp_backward(d_state_, d, d_logits, update_weights, /*input_gradient=*/!update_weights);
  if (update_weights) return nullptr;  // D's own step: no image gradient needed
  // d_in (N, 784 + classes): the image part is the gradient G needs; the label's is dropped.
  const int64_t W = kPixels + config_.classes;
  d_images_.resize(static_cast<size_t>(N * kPixels));
  for (int64_t n = 0; n < N; ++n)
    std::copy(d_state_.d_in.begin() + n * W, d_state_.d_in.begin() + n * W + kPixels,
              d_images_.begin() + n * kPixels);
  return d_images_.data();
}

void MlpGan::zero_generator_grads() {
  std::fill(g.grads.begin(), g.grads.end(), 0.0f);
}
void MlpGan::zero_discriminator_grads() {
  std::fill(d.grads.begin(), d.grads.end(), 0.0f);
}
void MlpGan::step_generator(const AdamConfig& adam) {
  g.adam.step(g.params.data(), g.grads.data(), adam.lr, adam);
}
void MlpGan::step_discriminator(const AdamConfig& adam) {
  d.adam.step(d.params.data(), d.grads.data(), adam.lr, adam);
}

}  // namespace phase4::gan
