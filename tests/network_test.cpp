// The executor's wiring: gradients of a whole mixed network (conv, lc, pooling, batch norm, flatten,
// dense, activations, dropout) against finite differences of the network's own loss, plus
// initialisation determinism, batch-size handling, and no input gradient before the first layer that
// computes.
#include "engine/graph/network.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/layers/activation_layer.h"
#include "engine/layers/dense_layer.h"
#include "engine/model/spec.h"
#include "engine/optim/init.h"
#include "engine/train/model_io.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

constexpr const char* kMixedSpec = "conv4k3p1,tanh,lc3k3s2p1,gelu,avgpool2,bn,fc6,elu,dropout0.3,fc3";

struct Fixture {
  CpuBackend be;
  Shape in{1, 7, 7};
  int64_t n = 5;
  Network net{be, build_layers(kMixedSpec, in, 3, 0.3), in, 8};
  std::vector<int32_t> labels{0, 2, 1, 1, 0};

  Fixture() {
    net.initialize(InitScheme::GlorotUniform, 7);
    const auto x = test::to_float(test::random_vector(static_cast<size_t>(n * in.numel()), 11));
    write_floats(be, net.input(), x, "input");
  }
  // Mean cross-entropy of the current parameters (training mode: batch-norm batch statistics and a
  // fixed dropout mask for step 3); with `grad` also runs backward into net.grads().
  double loss(bool grad) {
    net.forward(n, true, 3, 99);
    SoftmaxXentShape s;
    s.n = n;
    s.c = 3;
    const double l = softmax_xent_forward_backward_ref<float>(s, net.output(), labels.data(), nullptr,
                                                              grad ? net.output_grad() : nullptr, nullptr);
    if (grad) net.backward(n, 3, 99);
    return l;
  }
};

TEST(Network, WholeGraphGradientsMatchFiniteDifferences) {
  Fixture f;
  f.loss(true);
  const std::vector<float> g = read_floats(f.be, f.net.grads(), f.net.num_params());
  std::vector<float> p = read_floats(f.be, f.net.params(), f.net.num_params());
  // Check every 7th parameter (covers all layers' weights and biases; the full set is slow-ish).
  std::vector<double> x, analytic;
  std::vector<size_t> where;
  for (size_t i = 0; i < p.size(); i += 7) {
    where.push_back(i);
    x.push_back(p[i]);
    analytic.push_back(g[i]);
  }
  auto eval = [&]() {
    for (size_t k = 0; k < where.size(); ++k) p[where[k]] = static_cast<float>(x[k]);
    write_floats(f.be, f.net.params(), p, "params");
    return f.loss(false);
  };
  // Float forward: the loss (~1) carries ~1e-7 relative rounding, so with h = 1e-3 the central
  // difference has ~1e-4 noise; truncation error is O(h^2) ~ 1e-6. 2e-3 leaves a 20x margin.
  const double err = test::max_gradient_error(x, eval, analytic, 1e-3);
  EXPECT_LT(err, 2e-3);
  double norm = 0;
  for (float v : g) norm += std::abs(v);
  EXPECT_GT(norm, 1e-3) << "gradients are all zero";
}

TEST(Network, InitialisationIsDeterministicPerSeed) {
  CpuBackend be;
  const Shape in{1, 28, 28};
  auto make = [&](uint64_t seed) {
    Network net(be, build_layers(resolve_arch("cnn", 10, 0.5), in, 10, 0.5), in, 2);
    net.initialize(InitScheme::HeUniform, seed);
    return read_floats(be, net.params(), net.num_params());
  };
  const auto a = make(5), b = make(5), c = make(6);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Network, SmallerBatchesMatchRowsOfTheFullBatch) {
  Fixture f;
  f.net.forward(f.n, false, 0, 0);
  const auto full = read_floats(f.be, f.net.output(), f.n * 3);
  f.net.forward(2, false, 0, 0);
  const auto part = read_floats(f.be, f.net.output(), 2 * 3);
  // Rows do not depend on the batch, up to rounding: OpenBLAS picks its micro-kernel by the GEMM's
  // row count (on AVX-512 machines a 2-row and a 5-row product sum in different orders), so the
  // bound is the float rounding of the longest reduction (36 = lc3k3 over 4 channels), times the
  // outputs' rms. A row read from the wrong sample would be off by O(rms).
  double rms = 0.0;
  for (int i = 0; i < 6; ++i) rms += double(full[i]) * full[i] / 6.0;
  rms = std::sqrt(rms);
  ASSERT_GT(rms, 0.0);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(part[i], full[i], test::float_tolerance(36) * rms) << i;
  EXPECT_THROW(f.net.forward(9, false, 0, 0), ShapeError);
}

// An identity layer that records whether backward was asked for dx.
class DxProbe final : public Layer {
 public:
  explicit DxProbe(bool* asked) : asked_(asked) {}
  std::string spec() const override { return "probe"; }
  std::string kind() const override { return "Probe"; }
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
               const LayerBinding&) override {
    be.copy(y, x, static_cast<size_t>(st.n * in.numel()) * sizeof(float));
  }
  void backward(Backend& be, const StepInfo& st, const Shape& in, const float*, const float*,
                const float* dy, float* dx, const LayerBinding&) override {
    *asked_ = dx != nullptr;
    if (dx) be.copy(dx, dy, static_cast<size_t>(st.n * in.numel()) * sizeof(float));
  }

 private:
  bool* asked_;
};

// The first layer that computes (not flatten, which only aliases) gets no dx: it would only reach
// the network input. Every later one does, through any aliasing layers in between.
TEST(Network, NoInputGradientBeforeTheFirstComputingLayer) {
  CpuBackend be;
  const Shape in{1, 3, 3};
  bool first = true, second = false;
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<FlattenLayer>());
  layers.push_back(std::make_unique<DxProbe>(&first));
  layers.push_back(std::make_unique<FlattenLayer>());
  layers.push_back(std::make_unique<DxProbe>(&second));
  layers.push_back(std::make_unique<DenseLayer>(4));
  Network net(be, std::move(layers), in, 2);
  net.initialize(InitScheme::GlorotUniform, 1);
  net.forward(2, true, 0, 0);
  net.backward(2, 0, 0);
  EXPECT_FALSE(first) << "the first computing layer was asked for an input gradient";
  EXPECT_TRUE(second) << "a later layer was not asked for dx";
}

TEST(Network, SummaryListsLayersAndCounts) {
  Fixture f;
  const std::string s = f.net.summary();
  EXPECT_NE(s.find("LocallyConnected2d"), std::string::npos);
  EXPECT_NE(s.find(std::to_string(f.net.num_params()) + " parameters"), std::string::npos);
  EXPECT_EQ(f.net.spec(), "conv4k3p1,tanh,lc3k3s2p1,gelu,avgpool2,bn,flatten,fc6,elu,dropout0.3,fc3");
}

}  // namespace
}  // namespace gd
