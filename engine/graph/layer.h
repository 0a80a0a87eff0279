#pragma once
// A node of the model graph. Layers own no memory: the executor (Network) plans every buffer once
// (parameters, gradients, persistent state, forward->backward scratch, workspaces) and binds views of
// them before training. Shapes passed to layers EXCLUDE the batch dimension; the batch size n of a
// call is in StepInfo and may be anything up to the planned maximum.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/ops/workspace.h"
#include "engine/backend/backend.h"
#include "engine/core/shape.h"

namespace gd {

enum class InitScheme;

struct ParamSpec {
  std::string name;  // "weight", "bias", "gamma", "beta"
  Shape shape;
  bool is_weight = true;  // weights get the model's init scheme; non-weights get `fill`
  float fill = 0.0f;
  int64_t fan_in = 1, fan_out = 1;
};

struct LayerBinding {
  std::vector<float*> params;  // one per ParamSpec, in order
  std::vector<float*> grads;   // same layout as params
  float* state = nullptr;      // state_floats() persistent floats (checkpointed)
  float* aux = nullptr;        // aux_floats() forward->backward scratch
  Workspace workspace;         // the network's scratch for one call (the largest workspace_bytes())
};

struct StepInfo {
  int64_t n = 0;          // batch size of this call
  bool training = false;  // dropout active, batch-norm batch statistics
  uint64_t step = 0;      // optimiser step (dropout mask key)
  uint64_t seed = 0;      // run seed (dropout mask key)
  const LiveStep* live = nullptr;  // backend memory; when set, replaces `step` where the op runs
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string spec() const = 0;  // the spec-string token that recreates this layer
  virtual std::string kind() const = 0;  // human-readable type for summaries, e.g. "Conv2d"
  virtual Shape output_shape(const Shape& in) const = 0;  // throws ShapeError / ConfigError
  virtual std::vector<ParamSpec> param_specs(const Shape& /*in*/) const { return {}; }
  virtual int64_t state_floats(const Shape& /*in*/) const { return 0; }
  virtual void init_state(const Shape& /*in*/, float* /*host_state*/) const {}
  virtual int64_t aux_floats(const Shape& /*in*/, int64_t /*max_batch*/) const { return 0; }
  virtual size_t workspace_bytes(Backend&, const Shape& /*in*/, int64_t /*max_batch*/) const { return 0; }
  // True when the output is the input buffer itself (flatten): no copy forward or backward.
  virtual bool aliases_input() const { return false; }
  // True when backward must compute dx even for the first layer (its parameter gradients come out of
  // the same pass, e.g. batch norm); the executor then supplies a scratch dx.
  virtual bool backward_needs_dx() const { return false; }
  // Forward floating-point operations per sample (2 per multiply-add), for summaries and benchmarks.
  virtual double flops_per_sample(const Shape& /*in*/) const { return 0.0; }

  // x (n, in...) -> y (n, out...).
  virtual void forward(Backend& be, const StepInfo& st, const Shape& in, const float* x, float* y,
                       const LayerBinding& b) = 0;
  // dy (n, out...) -> dx (n, in...) OVERWRITTEN (nullptr for the first layer: skipped), and the
  // parameter gradients in b.grads OVERWRITTEN (each parameter is used once per step).
  virtual void backward(Backend& be, const StepInfo& st, const Shape& in, const float* x, const float* y,
                        const float* dy, float* dx, const LayerBinding& b) = 0;

  uint32_t index = 0;  // position in the graph; keys the layer's dropout stream
};

}  // namespace gd
