#include "engine/export/export_plan.h"

#include <cmath>

#include "engine/core/error.h"
#include "engine/layers/activation_layer.h"
#include "engine/layers/batchnorm_layer.h"
#include "engine/layers/conv2d_layer.h"
#include "engine/layers/dense_layer.h"
#include "engine/layers/lc2d_layer.h"
#include "engine/layers/pool_layer.h"
#include "engine/ops/batchnorm.h"
#include "engine/train/model_io.h"

namespace gd {
namespace {

// The host copy of a network's flat parameter and state arrays, handed out layer by layer in the
// order the executor lays them out (network.cpp: parameters and state concatenated by layer).
class WeightReader {
 public:
  explicit WeightReader(const Network& net)
      : params_(read_floats(net.backend(), net.params(), net.num_params())),
        state_(read_floats(net.backend(), net.state(), net.num_state())) {}

  // The layer's parameters in param_specs order, and its state floats.
  std::vector<std::vector<float>> params(const Layer& l, const Shape& in) {
    std::vector<std::vector<float>> out;
    for (const ParamSpec& ps : l.param_specs(in)) out.push_back(take(params_, param_pos_, ps.shape.numel()));
    return out;
  }
  std::vector<float> state(const Layer& l, const Shape& in) { return take(state_, state_pos_, l.state_floats(in)); }

 private:
  static std::vector<float> take(const std::vector<float>& all, size_t& pos, int64_t n) {
    GD_CHECK(pos + static_cast<size_t>(n) <= all.size(), "plan_export: the network's arrays hold " << all.size()
                                                          << " values, fewer than its layers need");
    std::vector<float> v(all.begin() + static_cast<std::ptrdiff_t>(pos),
                         all.begin() + static_cast<std::ptrdiff_t>(pos + static_cast<size_t>(n)));
    pos += static_cast<size_t>(n);
    return v;
  }
  std::vector<float> params_, state_;
  size_t param_pos_ = 0, state_pos_ = 0;
};

BatchNormStats batchnorm_stats(std::vector<std::vector<float>> params, std::vector<float> state) {
  const size_t c = params.at(0).size();
  BatchNormStats bn;
  bn.gamma = std::move(params[0]);
  bn.beta = std::move(params[1]);
  bn.mean.assign(state.begin(), state.begin() + static_cast<std::ptrdiff_t>(c));  // running_mean, then
  bn.var.assign(state.begin() + static_cast<std::ptrdiff_t>(c), state.end());     // running_var
  bn.eps = BatchNormShape{}.eps;  // the engine's batch norm always runs with the default eps
  return bn;
}

bool foldable_into(const ExportStep& s) {
  return s.op == ExportOp::Dense || s.op == ExportOp::Conv || s.op == ExportOp::LocallyConnected;
}

// Folds `bn` into the weights and bias of `s`, whose output channel c is its first output extent.
// The weight tensors of all three layouts are (outer, C, inner) with outer = 1 (dense, conv) or
// P (locally connected), and the biases (C, inner).
void fold_batchnorm(ExportStep& s, const BatchNormStats& bn) {
  const int64_t c = s.out[0];
  const int64_t bias_inner = static_cast<int64_t>(s.bias.size()) / c;
  const int64_t w_outer = s.op == ExportOp::LocallyConnected ? s.out.numel() / c : 1;
  const int64_t w_inner = static_cast<int64_t>(s.weight.size()) / (w_outer * c);
  GD_CHECK(static_cast<int64_t>(bn.gamma.size()) == c && bias_inner * c == static_cast<int64_t>(s.bias.size()),
           "fold_batchnorm: " << s.name << " has " << c << " channels, the batch norm " << bn.gamma.size());
  for (int64_t ch = 0; ch < c; ++ch) {
    const double scale = static_cast<double>(bn.gamma[ch]) / std::sqrt(static_cast<double>(bn.var[ch]) + bn.eps);
    for (int64_t o = 0; o < w_outer; ++o) {
      float* w = s.weight.data() + (o * c + ch) * w_inner;
      for (int64_t i = 0; i < w_inner; ++i) w[i] = static_cast<float>(w[i] * scale);
    }
    float* b = s.bias.data() + ch * bias_inner;
    for (int64_t i = 0; i < bias_inner; ++i)
      b[i] = static_cast<float>((static_cast<double>(b[i]) - bn.mean[ch]) * scale + bn.beta[ch]);
  }
  s.spec += ",bn";
}

// One layer as a step (dropout has none: returns false).
bool make_step(const Layer& l, size_t index, const Shape& in, const Shape& out, WeightReader& weights,
               ExportStep* step) {
  ExportStep& s = *step;
  s.layer = index;
  s.name = std::to_string(index) + "." + l.kind();
  s.spec = l.spec();
  s.in = in;
  s.out = out;
  std::vector<std::vector<float>> params = weights.params(l, in);
  std::vector<float> state = weights.state(l, in);
  auto take_weight_bias = [&] {
    s.weight = std::move(params.at(0));
    s.bias = std::move(params.at(1));
  };
  if (dynamic_cast<const DropoutLayer*>(&l)) return false;
  if (const auto* a = dynamic_cast<const ActivationLayer*>(&l)) {
    s.op = ExportOp::Activation;
    s.activation = a->activation();
    s.name = std::to_string(index) + "." + activation_name(a->activation());  // not "ReLU (fused)"
  } else if (dynamic_cast<const DenseLayer*>(&l)) {
    s.op = ExportOp::Dense;
    take_weight_bias();
  } else if (const auto* c = dynamic_cast<const Conv2dLayer*>(&l)) {
    s.op = ExportOp::Conv;
    s.window = c->window();
    take_weight_bias();
  } else if (const auto* lc = dynamic_cast<const Lc2dLayer*>(&l)) {
    s.op = ExportOp::LocallyConnected;
    s.window = lc->window();
    take_weight_bias();
  } else if (const auto* p = dynamic_cast<const PoolLayer*>(&l)) {
    s.op = p->is_max() ? ExportOp::MaxPool : ExportOp::AvgPool;
    s.window.kernel = p->window();
    s.window.stride = p->stride();
  } else if (dynamic_cast<const BatchNormLayer*>(&l)) {
    s.op = ExportOp::BatchNorm;
    s.batchnorm = batchnorm_stats(std::move(params), std::move(state));
  } else if (dynamic_cast<const FlattenLayer*>(&l)) {
    s.op = ExportOp::Flatten;
  } else {
    throw ConfigError("layer " + std::to_string(index) + " '" + l.spec() + "' (" + l.kind() +
                      ") cannot be exported: the exporter knows fc, conv, lc, pool, maxpool, avgpool, relu, "
                      "tanh, sigmoid, elu, gelu, dropout, bn and flatten");
  }
  return true;
}

}  // namespace

ExportPlan plan_export(const Network& net) {
  ExportPlan plan;
  plan.input = net.input_shape();
  WeightReader weights(net);
  for (size_t i = 0; i < net.num_layers(); ++i) {
    ExportStep step;
    if (!make_step(net.layer(i), i, net.layer_input_shape(i), net.layer_output_shape(i), weights, &step)) {
      ++plan.removed_dropouts;
      continue;
    }
    if (step.op == ExportOp::BatchNorm && !plan.steps.empty() && foldable_into(plan.steps.back())) {
      fold_batchnorm(plan.steps.back(), step.batchnorm);
      ++plan.folded_batchnorms;
      continue;
    }
    plan.steps.push_back(std::move(step));
  }
  GD_CHECK_T(!plan.steps.empty() && plan.steps.back().out.rank() == 1, ConfigError,
             "plan_export: the network must end with class scores (K), it ends with "
                 << (plan.steps.empty() ? net.output_shape() : plan.steps.back().out).str());
  plan.classes = plan.steps.back().out[0];
  return plan;
}

std::string describe(const ExportPlan& plan) {
  int kept = 0;
  for (const ExportStep& s : plan.steps) kept += s.op == ExportOp::BatchNorm;
  std::string text = std::to_string(plan.steps.size()) + " steps";
  if (plan.folded_batchnorms || kept)
    text += "; " + std::to_string(plan.folded_batchnorms) + " batch norm" + (plan.folded_batchnorms == 1 ? "" : "s") +
            " folded into the layer before, " + std::to_string(kept) + " kept";
  if (plan.removed_dropouts)
    text += "; " + std::to_string(plan.removed_dropouts) + " dropout layer" + (plan.removed_dropouts == 1 ? "" : "s") +
            " removed";
  return text;
}

}  // namespace gd
