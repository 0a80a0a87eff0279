#include "engine/graph/network.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "engine/core/error.h"
#include "engine/layers/fused_epilogue.h"
#include "engine/optim/init.h"

namespace gd {
namespace {
Tensor alloc_floats(Backend& be, int64_t n) { return be.empty(Shape{std::max<int64_t>(n, 1)}); }

// Aux slices are padded to multiples of 256 bytes, so each starts as aligned as the allocation
// (256 bytes from cudaMalloc, 64 on the CPU): a fused layer's dpre there is a GEMM operand, and
// cuBLAS picks its fastest kernels (the same as for any other buffer) only for aligned operands.
int64_t aligned_floats(int64_t n) {
  constexpr int64_t kAlign = 256 / sizeof(float);
  return (n + kAlign - 1) / kAlign * kAlign;
}

// GD_NO_EPILOGUE_FUSION set to anything but "" or "0" turns fusion off (see network.h).
bool fusion_disabled_by_environment() {
  const char* v = std::getenv("GD_NO_EPILOGUE_FUSION");
  return v && *v && std::strcmp(v, "0") != 0;
}
}  // namespace

Network::Network(Backend& be, std::vector<std::unique_ptr<Layer>> layers, Shape input_sample,
                 int64_t max_batch, bool fuse_epilogues)
    : be_(be), layers_(std::move(layers)), max_batch_(max_batch) {
  GD_CHECK_T(!layers_.empty(), ConfigError, "a network needs at least one layer");
  GD_CHECK_T(max_batch_ > 0, ConfigError, "batch size must be positive, got " << max_batch_);
  // Fusion changes aux sizes and aliasing, so it comes before any planning.
  if (fuse_epilogues && !fusion_disabled_by_environment()) fuse_activation_epilogues(layers_);
  shapes_.push_back(input_sample);
  int64_t aux_total = 0;
  size_t workspace = 0;
  std::vector<int64_t> state_offsets, aux_offsets;
  std::vector<std::vector<int64_t>> param_offsets(layers_.size());
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& l = *layers_[i];
    l.index = static_cast<uint32_t>(i);
    const Shape& in = shapes_.back();
    Shape out;
    try {
      out = l.output_shape(in);
    } catch (const Error& e) {
      throw ShapeError("layer " + std::to_string(i) + " (" + l.spec() + ") on input " + in.str() +
                       ": " + e.what());
    }
    for (const ParamSpec& ps : l.param_specs(in)) {
      param_offsets[i].push_back(num_params_);
      param_info_.push_back({std::to_string(i) + "." + l.kind() + "." + ps.name, ps.shape, num_params_});
      all_specs_.push_back(ps);
      num_params_ += ps.shape.numel();
    }
    state_offsets.push_back(num_state_);
    num_state_ += l.state_floats(in);
    aux_offsets.push_back(aux_total);
    aux_total += aligned_floats(l.aux_floats(in, max_batch_));
    workspace = std::max(workspace, l.workspace_bytes(be_, in, max_batch_));
    shapes_.push_back(out);
  }
  first_computing_ = layers_.size();
  for (size_t i = 0; i < layers_.size() && first_computing_ == layers_.size(); ++i)
    if (!layers_[i]->aliases_input()) first_computing_ = i;
  GD_CHECK_SHAPE(shapes_.back().rank() == 1,
                 "the last layer must produce class scores (K), got " << shapes_.back().str());

  params_ = alloc_floats(be_, num_params_);
  grads_ = alloc_floats(be_, num_params_);
  if (num_state_ > 0) state_ = alloc_floats(be_, num_state_);
  aux_ = alloc_floats(be_, aux_total);
  workspace_ = be_.allocate(std::max<size_t>(workspace, 64));

  int64_t max_act = 0;
  for (const Shape& s : shapes_) max_act = std::max(max_act, s.numel());
  grad_a_ = alloc_floats(be_, max_batch_ * max_act);
  grad_b_ = alloc_floats(be_, max_batch_ * max_act);
  grad_out_ = grad_a_.data();

  act_storage_.push_back(alloc_floats(be_, max_batch_ * shapes_[0].numel()));
  acts_.push_back(act_storage_.back().data());
  for (size_t i = 0; i < layers_.size(); ++i) {
    if (layers_[i]->aliases_input()) {
      acts_.push_back(acts_.back());
    } else {
      act_storage_.push_back(alloc_floats(be_, max_batch_ * shapes_[i + 1].numel()));
      acts_.push_back(act_storage_.back().data());
    }
  }

  for (size_t i = 0; i < layers_.size(); ++i) {
    LayerBinding b;
    for (int64_t off : param_offsets[i]) {
      b.params.push_back(params_.data() + off);
      b.grads.push_back(grads_.data() + off);
    }
    if (num_state_ > 0) b.state = state_.data() + state_offsets[i];
    b.aux = aux_.data() + aux_offsets[i];
    b.workspace = Workspace{workspace_->data(), workspace_->bytes()};
    bindings_.push_back(std::move(b));
  }
}

void Network::initialize(InitScheme scheme, uint64_t seed) {
  std::vector<float> host(static_cast<size_t>(std::max<int64_t>(num_params_, 1)));
  // The last weight tensor is the classifier head's (build_layers ends every model with fcK).
  size_t head = all_specs_.size();
  for (size_t p = 0; p < all_specs_.size(); ++p)
    if (all_specs_[p].is_weight) head = p;
  for (size_t p = 0; p < all_specs_.size(); ++p) {
    const ParamSpec& ps = all_specs_[p];
    float* dst = host.data() + param_info_[p].offset;
    const int64_t n = ps.shape.numel();
    if (p == head)
      init_fill_classifier_head(ps.fan_in, n, dst, seed, static_cast<uint32_t>(p));
    else if (ps.is_weight)
      init_fill(scheme, ps.fan_in, ps.fan_out, n, dst, seed, static_cast<uint32_t>(p));
    else
      std::fill(dst, dst + n, ps.fill);
  }
  be_.copy_from_host(params_.data(), host.data(), static_cast<size_t>(num_params_) * sizeof(float));
  if (num_state_ > 0) {
    std::vector<float> st(static_cast<size_t>(num_state_), 0.0f);
    int64_t off = 0;
    for (size_t i = 0; i < layers_.size(); ++i) {
      layers_[i]->init_state(shapes_[i], st.data() + off);
      off += layers_[i]->state_floats(shapes_[i]);
    }
    be_.copy_from_host(state_.data(), st.data(), st.size() * sizeof(float));
  }
}

// While the backend records (a CUDA graph), an error raised by a layer, or a recording the layer's
// calls broke, is reported with the layer it came from: "layer 3 (conv64k3) backward: ...".
template <typename Fn>
void Network::run_layer(size_t i, const char* direction, Fn&& call) {
  if (!be_.recording()) {
    call();
    return;
  }
  const std::string where = "layer " + std::to_string(i + 1) + " (" + layers_[i]->spec() + ") " + direction;
  try {
    call();
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  be_.check_recording(where);
}

void Network::forward(int64_t n, bool training, uint64_t step, uint64_t seed, const LiveStep* live) {
  GD_CHECK_SHAPE(n > 0 && n <= max_batch_, "batch of " << n << " exceeds the planned maximum " << max_batch_);
  const StepInfo st{n, training, step, seed, live};
  for (size_t i = 0; i < layers_.size(); ++i)
    run_layer(i, "forward", [&] { layers_[i]->forward(be_, st, shapes_[i], acts_[i], acts_[i + 1], bindings_[i]); });
}

void Network::backward(int64_t n, uint64_t step, uint64_t seed, const LiveStep* live) {
  GD_CHECK_SHAPE(n > 0 && n <= max_batch_, "batch of " << n << " exceeds the planned maximum " << max_batch_);
  const StepInfo st{n, true, step, seed, live};
  float* dy = grad_out_;
  for (size_t k = layers_.size(); k-- > 0;) {
    Layer& l = *layers_[k];
    float* other = dy == grad_a_.data() ? grad_b_.data() : grad_a_.data();
    // dx is wanted when a layer before k computes with it; before the first layer that does not
    // alias its input (flatten, a fused activation) it would only reach the network input.
    const bool wanted = k > first_computing_ || l.backward_needs_dx();
    float* dx = l.aliases_input() ? dy : (wanted ? other : nullptr);
    run_layer(k, "backward", [&] { l.backward(be_, st, shapes_[k], acts_[k], acts_[k + 1], dy, dx, bindings_[k]); });
    dy = dx;
  }
}

std::string Network::spec() const {
  std::string s;
  for (const auto& l : layers_) {
    if (!s.empty()) s += ",";
    s += l->spec();
  }
  return s;
}

double Network::flops_per_sample() const {
  double f = 0.0;
  for (size_t i = 0; i < layers_.size(); ++i) f += layers_[i]->flops_per_sample(shapes_[i]);
  return f;
}

std::string Network::summary() const {
  std::ostringstream os;
  char line[160];
  std::snprintf(line, sizeof line, "%-4s %-22s %-16s %-14s %12s %14s\n", "#", "layer", "spec", "output",
                "params", "MFLOPs/sample");
  os << line;
  for (size_t i = 0; i < layers_.size(); ++i) {
    int64_t np = 0;
    for (const ParamSpec& ps : layers_[i]->param_specs(shapes_[i])) np += ps.shape.numel();
    std::snprintf(line, sizeof line, "%-4zu %-22s %-16s %-14s %12lld %14.3f\n", i,
                  layers_[i]->kind().c_str(), layers_[i]->spec().c_str(), shapes_[i + 1].str().c_str(),
                  static_cast<long long>(np), layers_[i]->flops_per_sample(shapes_[i]) / 1e6);
    os << line;
  }
  std::snprintf(line, sizeof line, "input %s, %lld parameters, %.2f MFLOPs forward per sample\n",
                shapes_[0].str().c_str(), static_cast<long long>(num_params_), flops_per_sample() / 1e6);
  os << line;
  return os.str();
}

}  // namespace gd
