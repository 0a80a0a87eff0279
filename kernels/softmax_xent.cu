// CUDA fused softmax cross-entropy, softmax and the confusion matrix (contract:
// engine/ops/softmax_xent.h, kernels/cuda_ops.h; reference: engine/ref/softmax_xent_ref.cpp).
// One warp per row, kWarps rows per block. Per row, as the reference: max (from -INFINITY) and first
// argmax, then in double sum = sum_c exp(x_c - max), log p_c = (x_c - max) - log(sum),
//   loss = -(1-eps) log p[label] - eps/C sum_c log p_c,   dlogits = (p - target) / N.
// Warp reductions use a butterfly (xor) pattern, which gives every lane the bit-identical result.
// Deterministic totals: the grid size depends on N only (at most kReductionPartials blocks); each
// block writes its loss and hit partials (warp results added in warp order) into the context's
// reduction scratch, and one single-block pass adds the partials in a fixed tree order and then adds
// that batch total to *loss_sum and *correct. No float or double atomics touch a reported number, so
// the same logits give the same bits on every run (and a recorded graph gives the eager bits).
// The device cannot throw: a row whose label is outside [0, C) gets a NaN loss and NaN dlogits (the
// trainer's non-finite check then stops the run), and confusion_accumulate skips such rows; a
// NaN/inf logit makes the row loss non-finite.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "engine/core/error.h"
#include "kernels/block_sum.cuh"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"
#include "kernels/elementwise_grid.cuh"

namespace gd::cuda {
namespace {
using namespace ew;

constexpr int kWarp = 32;
constexpr int kWarps = kBlock / kWarp;  // rows in flight per block
constexpr unsigned kFullMask = 0xffffffffu;

unsigned row_blocks(int64_t rows) { return grid_blocks(rows * kWarp); }
// The loss kernel's grid: one partial per block, so at most kReductionPartials blocks (a function of
// N only, which keeps the summation order fixed for a given batch size).
unsigned loss_blocks(int64_t rows) { return std::min<unsigned>(row_blocks(rows), kReductionPartials); }

struct RowStats {
  float max;       // row maximum (-INFINITY when every entry is -inf or NaN)
  int64_t argmax;  // first index of the maximum (0 when no entry exceeds -INFINITY)
  double sum;      // sum_c exp(x_c - max)
};

__device__ inline double warp_sum(double v) {
  for (int off = kWarp / 2; off > 0; off /= 2) v += __shfl_xor_sync(kFullMask, v, off);
  return v;
}

// Row statistics computed by the whole warp; every lane returns the same values.
// row (C).
__device__ RowStats warp_row_stats(const float* row /* (C) */, int64_t c, int lane) {
  float mx = -INFINITY;
  long long arg = c;  // sentinel: this lane saw no entry above -INFINITY
  for (int64_t j = lane; j < c; j += kWarp) {
    const float v = row[j];
    if (v > mx) {  // strict: keeps this lane's first maximum
      mx = v;
      arg = j;
    }
  }
  for (int off = kWarp / 2; off > 0; off /= 2) {
    const float om = __shfl_xor_sync(kFullMask, mx, off);
    const long long oa = __shfl_xor_sync(kFullMask, arg, off);
    if (om > mx || (om == mx && oa < arg)) {  // ties: the smaller column, i.e. the first maximum
      mx = om;
      arg = oa;
    }
  }
  if (arg == c) arg = 0;  // all -inf (or NaN): the reference's initial argmax
  double sum = 0.0;
  const double dmx = mx;
  for (int64_t j = lane; j < c; j += kWarp) sum += exp(static_cast<double>(row[j]) - dmx);
  return {mx, static_cast<int64_t>(arg), warp_sum(sum)};
}

struct XentScalars {
  double eps;         // label smoothing
  double off_target;  // eps / C
  double inv_n;       // 1 / N
};

// logits (N,C), labels (N) -> dlogits (N,C) OVERWRITTEN (nullable); loss_partials (gridDim.x) and
// hit_partials (gridDim.x) OVERWRITTEN with each block's summed row loss and correct count.
__global__ void softmax_xent_kernel(int64_t n, int64_t c, XentScalars k, const float* logits /* (N,C) */,
                                    const int32_t* labels /* (N) */, float* dlogits /* (N,C) */,
                                    double* loss_partials /* (gridDim.x) */, double* hit_partials /* (gridDim.x) */) {
  __shared__ double block_loss[kWarps];
  __shared__ long long block_hits[kWarps];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  double warp_loss = 0.0;
  long long warp_hits = 0;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarps + warp; r < n;
       r += static_cast<int64_t>(gridDim.x) * kWarps) {
    const float* row = logits + r * c;
    float* g = dlogits ? dlogits + r * c : nullptr;
    const int32_t label = labels[r];
    if (label < 0 || label >= c) {
      warp_loss += NAN;
      if (g)
        for (int64_t j = lane; j < c; j += kWarp) g[j] = NAN;
      continue;
    }
    const RowStats st = warp_row_stats(row, c, lane);
    const double dmx = st.max, log_sum = log(st.sum), inv_sum = 1.0 / st.sum;
    double sum_logp = 0.0;
    for (int64_t j = lane; j < c; j += kWarp) {
      const double d = static_cast<double>(row[j]) - dmx;
      sum_logp += d - log_sum;
      if (g) {
        const double target = (j == label ? 1.0 - k.eps : 0.0) + k.off_target;
        g[j] = static_cast<float>((exp(d) * inv_sum - target) * k.inv_n);
      }
    }
    sum_logp = warp_sum(sum_logp);
    const double logp_label = (static_cast<double>(row[label]) - dmx) - log_sum;
    warp_loss += -(1.0 - k.eps) * logp_label - k.off_target * sum_logp;
    warp_hits += st.argmax == label;
  }
  if (lane == 0) {
    block_loss[warp] = warp_loss;
    block_hits[warp] = warp_hits;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    double loss = 0.0;
    long long hits = 0;
    for (int w = 0; w < kWarps; ++w) {  // warp order: fixed
      loss += block_loss[w];
      hits += block_hits[w];
    }
    loss_partials[blockIdx.x] = loss;
    hit_partials[blockIdx.x] = static_cast<double>(hits);  // exact: a block sees far fewer than 2^53 rows
  }
}

// loss_partials (count), hit_partials (count) -> *loss_sum += their sum, *correct += their sum
// (ACCUMULATED; either may be nullptr). One block; the partials are added in a fixed tree order.
__global__ void add_loss_totals_kernel(int64_t count, const double* loss_partials /* (count) */,
                                       const double* hit_partials /* (count) */, double* loss_sum /* (1) */,
                                       long long* correct /* (1) */) {
  double loss = 0.0, hits = 0.0;
  for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
    loss += loss_partials[i];
    hits += hit_partials[i];
  }
  detail::block_sum_double2(loss, hits);
  if (threadIdx.x == 0) {
    if (loss_sum) *loss_sum += loss;
    if (correct) *correct += static_cast<long long>(hits);
  }
}

// logits (N,C) -> probs (N,C) OVERWRITTEN. Non-finite logits give NaN rows, as in the reference.
__global__ void softmax_kernel(int64_t n, int64_t c, const float* logits /* (N,C) */, float* probs /* (N,C) */) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarps + warp; r < n;
       r += static_cast<int64_t>(gridDim.x) * kWarps) {
    const float* row = logits + r * c;
    const RowStats st = warp_row_stats(row, c, lane);
    const double dmx = st.max, inv_sum = 1.0 / st.sum;
    for (int64_t j = lane; j < c; j += kWarp)
      probs[r * c + j] = static_cast<float>(exp(static_cast<double>(row[j]) - dmx) * inv_sum);
  }
}

// logits (N,C), labels (N) -> confusion (C,C) ACCUMULATED at [label, first argmax]. Rows with a label
// outside [0, C) are skipped (the CPU backend throws for them).
__global__ void confusion_kernel(int64_t n, int64_t c, const float* logits /* (N,C) */,
                                 const int32_t* labels /* (N) */, long long* confusion /* (C,C) */) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  for (int64_t r = static_cast<int64_t>(blockIdx.x) * kWarps + warp; r < n;
       r += static_cast<int64_t>(gridDim.x) * kWarps) {
    const int32_t label = labels[r];
    if (label < 0 || label >= c) continue;  // warp-uniform
    const RowStats st = warp_row_stats(logits + r * c, c, lane);
    if (lane == 0)
      atomicAdd(reinterpret_cast<unsigned long long*>(confusion + label * c + st.argmax), 1ull);
  }
}

}  // namespace

void softmax_xent(Context& ctx, const SoftmaxXentShape& s, const float* logits, const int32_t* labels,
                  float* dlogits, double* loss_sum, int64_t* correct) {
  s.validate();
  GD_CHECK(logits != nullptr && labels != nullptr, "softmax_xent (cuda): null logits or labels for ("
                                                       << s.n << "," << s.c << ")");
  static_assert(sizeof(int64_t) == sizeof(long long), "int64_t counters are added as unsigned long long");
  const XentScalars k{s.label_smoothing, s.label_smoothing / static_cast<double>(s.c),
                      1.0 / static_cast<double>(s.n)};
  GD_CHECK(ctx.reduction_scratch != nullptr, "softmax_xent (cuda): the context has no reduction scratch");
  const unsigned blocks = loss_blocks(s.n);
  double* loss_partials = ctx.reduction_scratch;
  double* hit_partials = ctx.reduction_scratch + kReductionPartials;
  softmax_xent_kernel<<<blocks, kBlock, 0, ctx.stream>>>(s.n, s.c, k, logits, labels, dlogits, loss_partials,
                                                         hit_partials);
  GD_CUDA_LAUNCH("softmax_xent_kernel");
  if (!loss_sum && !correct) return;
  add_loss_totals_kernel<<<1, detail::kReduceThreads, 0, ctx.stream>>>(blocks, loss_partials, hit_partials, loss_sum,
                                                                       reinterpret_cast<long long*>(correct));
  GD_CUDA_LAUNCH("add_loss_totals_kernel");
}

void softmax(Context& ctx, int64_t n, int64_t c, const float* logits, float* probs) {
  GD_CHECK_SHAPE(n >= 0 && c >= 1, "softmax (cuda): logits shape (" << n << "," << c << ") must have N >= 0 and C >= 1");
  if (n == 0) return;
  GD_CHECK(logits != nullptr && probs != nullptr, "softmax (cuda): null buffer for (" << n << "," << c << ")");
  softmax_kernel<<<row_blocks(n), kBlock, 0, ctx.stream>>>(n, c, logits, probs);
  GD_CUDA_LAUNCH("softmax_kernel");
}

void confusion_accumulate(Context& ctx, int64_t n, int64_t c, const float* logits, const int32_t* labels,
                          int64_t* confusion) {
  GD_CHECK_SHAPE(n >= 0 && c >= 1,
                 "confusion_accumulate (cuda): logits shape (" << n << "," << c << ") must have N >= 0 and C >= 1");
  if (n == 0) return;
  GD_CHECK(logits != nullptr && labels != nullptr && confusion != nullptr,
           "confusion_accumulate (cuda): null buffer for (" << n << "," << c << ")");
  confusion_kernel<<<row_blocks(n), kBlock, 0, ctx.stream>>>(n, c, logits, labels,
                                                             reinterpret_cast<long long*>(confusion));
  GD_CUDA_LAUNCH("confusion_kernel");
}

}  // namespace gd::cuda
