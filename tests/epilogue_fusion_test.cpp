// Epilogue fusion in the executor (engine/layers/fused_epilogue.h, Network's fuse_epilogues): an mlp,
// a cnn (with a Winograd-path convolution) and an lcnn, each with dropout and batch norm, built
// fused and unfused from the same initialisation give bit-identical logits (training and eval mode,
// full and partial batch) and loss, bit-identical weight gradients, and bias gradients that differ
// only by the summation order of the fused layers' bias sums; the same spec, parameter names and
// state; the summary marks the fused activations. GELU is never fused; fusion is idempotent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/graph/network.h"
#include "engine/layers/activation_layer.h"
#include "engine/layers/dense_layer.h"
#include "engine/layers/fused_epilogue.h"
#include "engine/model/spec.h"
#include "engine/ops/softmax_xent.h"
#include "engine/optim/init.h"
#include "engine/train/model_io.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

constexpr int kClasses = 10;
constexpr int64_t kMaxBatch = 8, kBatch = 6;
const Shape kInput{1, 12, 12};

struct Case {
  const char* name;
  const char* spec;
  int fused;  // activations the pass must fuse
};
// mlp: relu, tanh and sigmoid fused, gelu not; bn on features. cnn: conv16k3p1 has 8 input channels
// (the CPU's Winograd path); elu fused into it; bn and dropout after pooling. lcnn: both lc layers and
// the fc fused; bn on (C,H,W) after an activation.
const Case kCases[] = {
    {"mlp", "fc32,relu,dropout0.3,fc24,tanh,bn,fc16,sigmoid,fc12,gelu,fc10", 3},
    {"cnn", "conv8k3,relu,conv16k3p1,elu,pool2,bn,dropout0.25,fc32,relu,dropout0.5,fc10", 3},
    {"lcnn", "lc4k3s2p1,relu,lc6k3,tanh,bn,fc20,sigmoid,dropout0.2,fc10", 3},
};

// Index of the first element whose bits differ (or of the shorter end), -1 when identical.
int64_t first_difference(const std::vector<float>& a, const std::vector<float>& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0) return static_cast<int64_t>(i);
  return a.size() == b.size() ? -1 : static_cast<int64_t>(n);
}

int count(const std::string& s, const std::string& what) {
  int k = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++k;
  return k;
}

struct Outcome {
  std::vector<float> train_logits, eval_logits, part_logits, grads, state;
  double loss = 0;
};

// One training-mode forward (dropout step 3) with the loss and backward, then eval-mode forwards of
// the full and of a partial batch.
Outcome run_once(CpuBackend& be, Network& net) {
  net.initialize(InitScheme::HeUniform, 5);
  write_floats(be, net.input(), test::random_floats(kBatch * kInput.numel(), 17), "input");
  const std::vector<int32_t> labels = {0, 3, 9, 1, 7, 3};
  Outcome r;
  net.forward(kBatch, true, 3, 99);
  SoftmaxXentShape s;
  s.n = kBatch;
  s.c = kClasses;
  r.loss = softmax_xent_forward_backward_ref<float>(s, net.output(), labels.data(), nullptr,
                                                    net.output_grad(), nullptr);
  r.train_logits = read_floats(be, net.output(), kBatch * kClasses);
  net.backward(kBatch, 3, 99);
  r.grads = read_floats(be, net.grads(), net.num_params());
  r.state = read_floats(be, net.state(), net.num_state());  // batch-norm running statistics
  net.forward(kBatch, false, 0, 0);
  r.eval_logits = read_floats(be, net.output(), kBatch * kClasses);
  net.forward(2, false, 0, 0);
  r.part_logits = read_floats(be, net.output(), 2 * kClasses);
  return r;
}

TEST(EpilogueFusion, FusedAndUnfusedNetworksAgree) {
  CpuBackend be;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    Network fused(be, build_layers(c.spec, kInput, kClasses, 0.0), kInput, kMaxBatch);
    Network plain(be, build_layers(c.spec, kInput, kClasses, 0.0), kInput, kMaxBatch, false);

    // Same structure: spec, parameters (names, shapes, offsets), state.
    EXPECT_EQ(fused.spec(), plain.spec());
    ASSERT_EQ(fused.num_params(), plain.num_params());
    ASSERT_EQ(fused.param_info().size(), plain.param_info().size());
    for (size_t p = 0; p < fused.param_info().size(); ++p) {
      EXPECT_EQ(fused.param_info()[p].name, plain.param_info()[p].name);
      EXPECT_EQ(fused.param_info()[p].shape, plain.param_info()[p].shape);
      EXPECT_EQ(fused.param_info()[p].offset, plain.param_info()[p].offset);
    }
    EXPECT_EQ(fused.num_state(), plain.num_state());
    ASSERT_EQ(fused.num_layers(), plain.num_layers());
    EXPECT_EQ(count(fused.summary(), "(fused)"), c.fused) << fused.summary();
    EXPECT_EQ(count(plain.summary(), "(fused)"), 0) << plain.summary();

    const Outcome f = run_once(be, fused), u = run_once(be, plain);
    // Forward: the product without bias, then y = act(y + b): the same float operations as the
    // unfused layers (engine/ops/bias_activation.h), so the same bits.
    EXPECT_EQ(first_difference(f.train_logits, u.train_logits), -1) << "training-mode logits";
    EXPECT_EQ(first_difference(f.eval_logits, u.eval_logits), -1) << "eval-mode logits";
    EXPECT_EQ(first_difference(f.part_logits, u.part_logits), -1) << "partial-batch logits";
    EXPECT_EQ(f.loss, u.loss);
    EXPECT_EQ(first_difference(f.state, u.state), -1) << "batch-norm running statistics";
    test::expect_finite_nonzero(f.grads, "fused gradients");

    // Backward: dpre equals the activation layer's dx bit for bit, so every gradient except the
    // fused layers' bias gradients is identical. Those sum the same float terms in double (fused)
    // instead of float (unfused): they differ by the float summation's rounding, at most
    // float_tolerance(len) relative to the layer's bias-gradient scale (len = batch * positions
    // summed per bias entry; float_tolerance assumes random-sign terms, with a factor 8 margin).
    // Measured: the largest difference is 7% of its tolerance (conv2d, len 600).
    for (size_t p = 0; p < fused.param_info().size(); ++p) {
      const ParamInfo& pi = fused.param_info()[p];
      const size_t layer = std::stoul(pi.name.substr(0, pi.name.find('.')));
      const bool fused_bias = pi.name.size() > 5 && pi.name.compare(pi.name.size() - 5, 5, ".bias") == 0 &&
                              layer + 1 < fused.num_layers() &&
                              fused.layer(layer + 1).kind().find("(fused)") != std::string::npos;
      const auto begin = static_cast<std::ptrdiff_t>(pi.offset), end = begin + pi.shape.numel();
      const std::vector<float> gf(f.grads.begin() + begin, f.grads.begin() + end);
      const std::vector<float> gu(u.grads.begin() + begin, u.grads.begin() + end);
      if (!fused_bias) {
        EXPECT_EQ(first_difference(gf, gu), -1) << pi.name;
        continue;
      }
      const Shape& out = fused.layer_output_shape(layer);
      // Terms per bias entry: conv2d biases (F) sum over the batch and the OH*OW positions; dense and
      // lc2d biases (one per output) over the batch only.
      const int64_t per_entry = out.numel() / pi.shape.numel();
      const int64_t len = kBatch * per_entry;
      double scale = 0, worst = 0;
      for (size_t i = 0; i < gf.size(); ++i) {
        scale = std::max(scale, std::abs(double(gu[i])));
        worst = std::max(worst, std::abs(double(gf[i]) - gu[i]));
      }
      EXPECT_GT(scale, 0.0) << pi.name << ": bias gradient is all zeros";
      EXPECT_LE(worst, test::float_tolerance(len) * scale) << pi.name << " (sum length " << len << ")";
    }
  }
}

TEST(EpilogueFusion, GeluAndNonAdjacentActivationsStayUnfused) {
  CpuBackend be;
  // gelu is not fusable; relu after pooling, batch norm or dropout has no layer to fuse into.
  Network net(be, build_layers("conv4k3,gelu,pool2,relu,bn,tanh,fc8,dropout0.1,relu,fc10", kInput, 10, 0.0),
              kInput, 2);
  const std::string s = net.summary();
  EXPECT_EQ(count(s, "(fused)"), 0) << s;
  for (size_t i = 0; i < net.num_layers(); ++i) {
    if (dynamic_cast<const ActivationLayer*>(&net.layer(i))) {
      EXPECT_FALSE(net.layer(i).aliases_input()) << "layer " << i << " " << net.layer(i).spec();
    }
  }
}

TEST(EpilogueFusion, FusedActivationAliasesAndKeepsItsSpec) {
  CpuBackend be;
  Network net(be, build_layers("fc16,elu,fc10", Shape{1, 4, 4}, 10, 0.0), Shape{1, 4, 4}, 2);
  // build_layers inserts flatten first: 0 flatten, 1 fc16, 2 elu, 3 fc10.
  ASSERT_EQ(net.num_layers(), 4u);
  EXPECT_EQ(net.layer(2).kind(), "ELU (fused)");
  EXPECT_EQ(net.layer(2).spec(), "elu");
  EXPECT_TRUE(net.layer(2).aliases_input());
  EXPECT_EQ(net.spec(), "flatten,fc16,elu,fc10");
  EXPECT_EQ(net.param_info()[0].name, "1.Dense.weight");
  EXPECT_EQ(net.param_info()[1].name, "1.Dense.bias");
}

TEST(EpilogueFusion, PassIsIdempotentAndRejectsDoubleFusion) {
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<DenseLayer>(4));
  layers.push_back(std::make_unique<ActivationLayer>(Activation::ReLU));
  layers.push_back(std::make_unique<ActivationLayer>(Activation::Tanh));
  EXPECT_EQ(fuse_activation_epilogues(layers), 1);  // the tanh follows an activation, not a dense
  EXPECT_EQ(fuse_activation_epilogues(layers), 0);
  auto* dense = dynamic_cast<DenseLayer*>(layers[0].get());
  EXPECT_THROW(dense->fuse_activation(Activation::Sigmoid), ConfigError);
  DenseLayer fresh(4);
  EXPECT_THROW(fresh.fuse_activation(Activation::GELU), ConfigError);
}

}  // namespace
}  // namespace gd
