#pragma once
// How a GPU convolution plan is chosen, as pure host functions of numbers cuDNN reports, so the
// policy is tested on machines without a GPU (tests/conv2d_plan_policy_test.cpp). kernels/conv2d.cu
// turns cuDNN's heuristic results into ConvAlgoCandidates and calls these.
//
// Workspace capacity: every convolution call passes the capacity of the caller's workspace. A plan
// for a batch size other than the one the workspace was sized for (the short last batch, evaluation
// tails) may only choose algorithms whose workspace fits that capacity; when no cuDNN algorithm fits,
// the im2col path runs in chunks small enough to fit (im2col_chunk_within), and when not even one
// sample fits the call throws. Nothing ever writes past the caller's buffer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/math_precision.h"
#include "engine/ops/conv2d.h"

namespace gd::cuda {

// Math of a cuDNN algorithm as its perf result reports it.
enum class ConvMath { Fma, Default, TensorOp, Other };

// One heuristic result (best first in the list cuDNN returns), with its workspace already queried
// under the math type it reported.
struct ConvAlgoCandidate {
  int algo = 0;
  bool supported = false;        // the perf result's status was CUDNN_STATUS_SUCCESS
  bool transform_based = false;  // FFT or Winograd: rounding outside the direct-sum analysis
  ConvMath math = ConvMath::Fma;
  bool deterministic = false;
  bool workspace_known = false;  // the workspace query succeeded
  size_t workspace_bytes = 0;    // max(queried size, the perf result's memory)
};

// The index of the chosen candidate, or -1 when none is admissible. Admissible: supported,
// direct-sum, deterministic (two runs with the same seed give the same bits), workspace known and at
// most `capacity` bytes, and of the mode's math: FP32 mode FMA or default math only (no TF32 on
// Ampere and later); TF32/BF16 modes tensor-op candidates first, then the FP32-math ones. Within
// each group the heuristic order decides.
inline int choose_conv_algo(const std::vector<ConvAlgoCandidate>& candidates, MathPrecision precision,
                            size_t capacity) {
  const bool fp32 = precision == MathPrecision::FP32;
  auto fp32_math = [](ConvMath m) { return m == ConvMath::Fma || m == ConvMath::Default; };
  for (int group = fp32 ? 1 : 0; group < 2; ++group) {  // group 0: tensor-op, group 1: FP32 math
    for (size_t i = 0; i < candidates.size(); ++i) {
      const ConvAlgoCandidate& c = candidates[i];
      const bool math_ok = group == 0 ? c.math == ConvMath::TensorOp : fp32_math(c.math);
      if (math_ok && c.supported && !c.transform_based && c.deterministic && c.workspace_known &&
          c.workspace_bytes <= capacity)
        return static_cast<int>(i);
    }
  }
  return -1;
}

// Workspace layout of the im2col + cuBLAS convolution (kernels/conv2d_im2col.cu), in floats:
//   [0, chunk*R*OHW)                        columns (reused for the dx columns)
//   [part_offset, part_offset + chunk*F*R)  per-sample dw partials (backward)
// with R = C*KH*KW and OHW = OH*OW; part_offset is rounded up to 64 floats (256 bytes). The batch is
// processed in chunks whose columns stay under kIm2colColumnBytes (unless one sample needs more);
// max_chunk > 0 caps the chunk further.
constexpr int64_t kIm2colColumnBytes = int64_t{64} << 20;

struct Im2colLayout {
  int64_t chunk, cols_elems, part_offset, part_elems, total;
  Im2colLayout(const Conv2dShape& s, int64_t max_chunk) {
    const int64_t r = s.c * s.kh * s.kw, ohw = s.oh() * s.ow();
    const int64_t per_sample = r * ohw * static_cast<int64_t>(sizeof(float));
    chunk = std::clamp<int64_t>(kIm2colColumnBytes / per_sample, 1, s.n);
    if (max_chunk > 0) chunk = std::min(chunk, max_chunk);
    cols_elems = chunk * r * ohw;
    part_offset = (cols_elems + 63) / 64 * 64;
    part_elems = chunk * s.f * r;
    total = part_offset + part_elems;
  }
  size_t bytes() const { return static_cast<size_t>(total) * sizeof(float); }
};

// The largest im2col chunk whose workspace fits `capacity` bytes: 0 (no cap) when the default layout
// already fits, else the cap, or -1 when not even a chunk of one sample fits.
inline int64_t im2col_chunk_within(const Conv2dShape& s, size_t capacity) {
  const Im2colLayout full(s, 0);
  if (full.bytes() <= capacity) return 0;
  if (Im2colLayout(s, 1).bytes() > capacity) return -1;
  int64_t lo = 1, hi = full.chunk;  // fits(lo), !fits(hi); bytes grow with the chunk
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (Im2colLayout(s, mid).bytes() <= capacity ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace gd::cuda
