#pragma once
// The graph executor. Given a chain of layers and the per-sample input shape, it plans every buffer
// once for the largest batch (flat parameter/gradient/state arrays so one fused optimiser call updates
// the whole model, one activation buffer per layer output, two ping-pong gradient buffers, per-layer
// aux scratch and one shared workspace) and then runs forward/backward for any batch n <= max_batch
// without allocating. It never dereferences device memory: all work goes through the Backend.
#include <memory>
#include <string>
#include <vector>

#include "engine/backend/backend.h"
#include "engine/graph/layer.h"

namespace gd {

enum class InitScheme;

struct ParamInfo {
  std::string name;  // "<layer index>.<kind>.<param>", e.g. "0.Conv2d.weight"
  Shape shape;
  int64_t offset = 0;  // into the flat parameter (and gradient) array
};

class Network {
 public:
  // fuse_epilogues: first, before any buffer is planned, every dense/conv2d/lc2d layer directly
  // followed by a relu/tanh/sigmoid/elu layer takes that activation into its epilogue
  // (engine/layers/fused_epilogue.h: one bias+activation pass forward, one dpre+bias-gradient pass
  // backward). Indices, parameter names, spec() and checkpoints stay as without it; only the
  // summary's kind shows "(fused)". The environment variable GD_NO_EPILOGUE_FUSION=1 also turns
  // it off (for timing the unfused path with the unchanged apps).
  Network(Backend& be, std::vector<std::unique_ptr<Layer>> layers, Shape input_sample,
          int64_t max_batch, bool fuse_epilogues = true);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  // Weights from `scheme` (deterministic in seed), except the classifier head's (the last weight
  // tensor), which gets init_fill_classifier_head; biases and other parameters from their fill value,
  // persistent state (batch-norm running stats) to its initial value.
  void initialize(InitScheme scheme, uint64_t seed);

  float* input() const { return acts_[0]; }         // (max_batch, input...)
  const float* output() const { return acts_.back(); }  // (max_batch, classes)
  float* output_grad() const { return grad_out_; }  // (max_batch, classes): write dL/dlogits here
  // `live` (backend memory, engine/ops/live_step.h), when set, supplies the step to the layers that
  // key on it (dropout) when they run, so a recorded step replays with the current step.
  void forward(int64_t n, bool training, uint64_t step, uint64_t seed, const LiveStep* live = nullptr);
  // Requires a forward(n, training=true, step, seed, live) with the same arguments just before.
  void backward(int64_t n, uint64_t step, uint64_t seed, const LiveStep* live = nullptr);

  int64_t num_params() const { return num_params_; }
  float* params() const { return params_.data(); }
  float* grads() const { return grads_.data(); }
  int64_t num_state() const { return num_state_; }
  float* state() const { return state_.defined() ? state_.data() : nullptr; }
  const std::vector<ParamInfo>& param_info() const { return param_info_; }

  const Shape& input_shape() const { return shapes_.front(); }
  const Shape& output_shape() const { return shapes_.back(); }
  int64_t max_batch() const { return max_batch_; }
  size_t num_layers() const { return layers_.size(); }
  const Layer& layer(size_t i) const { return *layers_[i]; }
  const Shape& layer_input_shape(size_t i) const { return shapes_[i]; }
  const Shape& layer_output_shape(size_t i) const { return shapes_[i + 1]; }
  std::string spec() const;           // the spec string that rebuilds this network
  double flops_per_sample() const;    // forward
  std::string summary() const;        // table: layer, output shape, params, FLOPs
  Backend& backend() const { return be_; }

 private:
  template <typename Fn>
  void run_layer(size_t i, const char* direction, Fn&& call);  // names the layer in recording errors

  Backend& be_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Shape> shapes_;  // shapes_[i] = input of layer i; shapes_.back() = output
  int64_t max_batch_;
  size_t first_computing_ = 0;  // index of the first layer that does not alias its input
  std::vector<ParamSpec> all_specs_;  // flattened, for initialisation
  std::vector<ParamInfo> param_info_;
  std::vector<LayerBinding> bindings_;
  int64_t num_params_ = 0, num_state_ = 0;
  Tensor params_, grads_, state_, aux_, grad_a_, grad_b_;
  std::vector<Tensor> act_storage_;
  std::vector<float*> acts_;  // acts_[i] = input of layer i (aliases for flatten)
  float* grad_out_ = nullptr;
  std::shared_ptr<Buffer> workspace_;
};

}  // namespace gd
