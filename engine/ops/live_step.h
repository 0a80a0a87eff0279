#pragma once
// The per-step counters of a training step, kept in backend memory.
//
// A step recorded once and replayed many times (a CUDA graph, Backend::record) cannot take numbers
// that change from step to step as launch arguments: those would be frozen at recording time. Ops
// that need them (dropout and augmentation keys, the batch's sample indices, the optimiser's
// learning rate and bias corrections) therefore read them, when they run, from one LiveStep in
// backend memory through the `live` pointer of their parameter struct. Backend::advance_step moves
// the counters on at the end of every step, on the device, inside the recording.
//
// With `live == nullptr` an op uses the host values of its parameter struct, as before; with it, the
// host values are ignored. Both give the same bits for the same numbers: the counters are integers.
#include <cstdint>

#include "engine/core/host_device.h"

namespace gd {

struct LiveStep {
  uint64_t step = 0;  // global training step: the dropout and augmentation key
  int64_t batch = 0;  // index of the batch within the epoch: selects sample indices and update scalars
};

// The step an op should use: the live counter when there is one (dereferenced where the op runs:
// on the host for the CPU backend, inside the kernel for CUDA), else its host value.
GD_HOST_DEVICE inline uint64_t resolve_step(const LiveStep* live, uint64_t host_step) {
  return live != nullptr ? live->step : host_step;
}

}  // namespace gd
