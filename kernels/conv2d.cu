// 2-d convolution on the GPU (contract in engine/ops/conv2d.h): the dispatch of kernels/cuda_ops.h.
// With cuDNN (GD_HAVE_CUDNN) each shape gets a plan once: descriptors plus one algorithm each for
// forward, backward-data and backward-filter, chosen by cuDNN's heuristics (cudnnGet*_v7: no timing
// runs, so the choice is reproducible from run to run), and cached by shape, device and math
// precision (ctx.precision, docs/precision.md). Choice rules:
//   - FP32 mode (the default): FP32 arithmetic only: the convolution descriptors ask for
//     CUDNN_FMA_MATH, and candidates that report tensor-op math are skipped (on Ampere and later
//     the default math would allow TF32, whose 10-bit mantissa is far outside the float tolerance
//     the tests and the CPU backend hold);
//   - TF32 and BF16 modes: the descriptors ask for CUDNN_TENSOR_OP_MATH, under which cuDNN runs
//     FP32 data on Ampere and later tensor cores as TF32; candidates reporting tensor-op math come
//     first, FMA/default-math ones are still admitted after them, and each direction's descriptor
//     is set to the math type of the candidate chosen for it (cuDNN selects kernels by algorithm
//     and math type together). cuDNN has no FP32-in/BF16-compute convolution (and
//     CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION would round to FP16, so it is never admitted): BF16
//     mode convolutions run exactly as TF32 ones, while its GEMMs use BF16 (gemm_rm.cuh);
//   - direct-sum algorithms only: transform-based ones (FFT, Winograd) are skipped, since their
//     rounding is not bounded by the direct-sum analysis the tolerances rest on;
//   - deterministic algorithms only, in heuristic order (two runs with the same seed give the same
//     bits);
//   - at most kMaxWorkspaceBytes of workspace per algorithm, and at most the caller's capacity.
// The policy itself is kernels/conv2d_plan_policy.h (tested without a GPU).
// The workspace of a plan is the maximum over its three algorithms, so conv2d_workspace_bytes
// returns exactly what every later call with that shape needs. Every call passes its workspace's
// real capacity: when the shape's plan needs more (a batch size other than the one the workspace was
// sized for may get other algorithms), a plan constrained to that capacity is built and cached
// beside it, and cuDNN is told the real capacity. A shape with no admissible algorithm in one
// direction runs entirely on the im2col + cuBLAS path (kernels/conv2d_im2col.cu), in chunks that
// fit the capacity, as do all shapes in builds without cuDNN. Bias add and bias gradient use
// bias.cuh in both paths.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "engine/core/error.h"
#include "kernels/bias.cuh"
#include "kernels/conv2d_info.h"
#include "kernels/conv2d_plan_policy.h"
#include "kernels/cuda_check.cuh"
#include "kernels/cuda_ops.h"

#ifdef GD_HAVE_CUDNN
#include <cudnn.h>
#endif

namespace gd::cuda {

#ifdef GD_HAVE_CUDNN
namespace {

constexpr size_t kMaxWorkspaceBytes = size_t{512} << 20;

// RAII owners of the legacy-API descriptors.
struct TensorDesc {
  cudnnTensorDescriptor_t d = nullptr;
  TensorDesc() { GD_CUDA_CHECK(cudnnCreateTensorDescriptor(&d)); }
  ~TensorDesc() { cudnnDestroyTensorDescriptor(d); }
  TensorDesc(const TensorDesc&) = delete;
  TensorDesc& operator=(const TensorDesc&) = delete;
};
struct FilterDesc {
  cudnnFilterDescriptor_t d = nullptr;
  FilterDesc() { GD_CUDA_CHECK(cudnnCreateFilterDescriptor(&d)); }
  ~FilterDesc() { cudnnDestroyFilterDescriptor(d); }
  FilterDesc(const FilterDesc&) = delete;
  FilterDesc& operator=(const FilterDesc&) = delete;
};
struct ConvDesc {
  cudnnConvolutionDescriptor_t d = nullptr;
  ConvDesc() { GD_CUDA_CHECK(cudnnCreateConvolutionDescriptor(&d)); }
  ~ConvDesc() { cudnnDestroyConvolutionDescriptor(d); }
  ConvDesc(const ConvDesc&) = delete;
  ConvDesc& operator=(const ConvDesc&) = delete;
};

struct Plan {
  TensorDesc x, y;
  FilterDesc w;
  // One convolution descriptor per direction, the same geometry in each: in the tensor-op modes
  // each carries the math type of the algorithm chosen for its direction.
  ConvDesc conv_fwd, conv_data, conv_filter;
  bool use_im2col = false;
  int64_t im2col_chunk = 0;  // 0: the default chunking; > 0: capped so the workspace fits a capacity
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  size_t workspace_bytes = 0;
  std::string description;
};

// device, n, c, h, w, f, kh, kw, stride, pad, precision, capacity (-1: unconstrained)
using PlanKey = std::array<int64_t, 12>;

// The capacity of the plans conv2d_workspace_bytes reports (they may use up to kMaxWorkspaceBytes).
constexpr size_t kUnconstrained = SIZE_MAX;

// The cache lives for the whole process and is never destroyed (no destruction-order questions at
// exit); plans are immutable once built and never erased, so references to them stay valid.
struct PlanCache {
  std::mutex mu;
  std::map<PlanKey, std::unique_ptr<Plan>> plans;
};
PlanCache& plan_cache() {
  static PlanCache* cache = new PlanCache();
  return *cache;
}

int cudnn_dim(int64_t v, const char* what) {
  GD_CHECK_SHAPE(v >= 0 && v <= INT_MAX,
                 "cuDNN conv2d: " << what << " = " << v << " does not fit in int");
  return static_cast<int>(v);
}

bool fp32_math(cudnnMathType_t m) { return m == CUDNN_FMA_MATH || m == CUDNN_DEFAULT_MATH; }

// The math type the descriptors ask for in mode p (see the file comment).
cudnnMathType_t requested_math(MathPrecision p) {
  return p == MathPrecision::FP32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH;
}

// Transform-based algorithms (see the file comment).
bool transform_based(cudnnConvolutionFwdAlgo_t a) {
  return a == CUDNN_CONVOLUTION_FWD_ALGO_FFT || a == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
}
bool transform_based(cudnnConvolutionBwdDataAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
}
bool transform_based(cudnnConvolutionBwdFilterAlgo_t a) {
  return a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD ||
         a == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
}

// What choose() picked for one direction.
template <typename Algo>
struct Choice {
  Algo algo{};
  size_t bytes = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;  // the math type the algorithm reported
};

// The math type of a chosen algorithm, for plan descriptions in the tensor-op modes.
const char* math_tag(cudnnMathType_t m) {
  return m == CUDNN_TENSOR_OP_MATH ? " (tensor-op)" : m == CUDNN_DEFAULT_MATH ? " (default-math)"
                                                                               : " (fma)";
}

ConvMath conv_math(cudnnMathType_t m) {
  switch (m) {
    case CUDNN_FMA_MATH: return ConvMath::Fma;
    case CUDNN_DEFAULT_MATH: return ConvMath::Default;
    case CUDNN_TENSOR_OP_MATH: return ConvMath::TensorOp;
    default: return ConvMath::Other;  // e.g. TENSOR_OP_MATH_ALLOW_CONVERSION (FP16 rounding)
  }
}

// One direction whose descriptor is `conv`, from heuristic results (best first): every result the
// policy could take gets its workspace queried (`workspace(algo, &bytes)`); in the tensor-op modes
// under the math type it reported, set on `conv` first. Then choose_conv_algo (conv2d_plan_policy.h)
// picks within `limit` bytes. In FP32 mode the descriptor keeps CUDNN_FMA_MATH; in the tensor-op
// modes it ends with the chosen candidate's math type (cuDNN selects kernels by algorithm and math
// type together). Returns false when none is admissible.
template <typename Perf, typename Algo, typename WorkspaceFn>
bool choose(const std::vector<Perf>& perf, int returned, MathPrecision precision, size_t limit,
            cudnnConvolutionDescriptor_t conv, WorkspaceFn workspace, Choice<Algo>* out) {
  const bool tensor_modes = precision != MathPrecision::FP32;
  std::vector<ConvAlgoCandidate> candidates(static_cast<size_t>(std::max(returned, 0)));
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Perf& p = perf[i];
    ConvAlgoCandidate& c = candidates[i];
    c.algo = static_cast<int>(p.algo);
    c.supported = p.status == CUDNN_STATUS_SUCCESS;
    c.transform_based = transform_based(p.algo);
    c.math = conv_math(p.mathType);
    c.deterministic = p.determinism == CUDNN_DETERMINISTIC;
    const bool math_ok = tensor_modes ? c.math != ConvMath::Other
                                      : c.math == ConvMath::Fma || c.math == ConvMath::Default;
    if (!c.supported || c.transform_based || !c.deterministic || !math_ok) continue;  // never chosen
    if (tensor_modes) GD_CUDA_CHECK(cudnnSetConvolutionMathType(conv, p.mathType));
    size_t need = 0;
    c.workspace_known = workspace(p.algo, &need) == CUDNN_STATUS_SUCCESS;
    c.workspace_bytes = std::max(need, p.memory);
  }
  const int k = choose_conv_algo(candidates, precision, limit);
  if (k < 0) return false;
  const Perf& p = perf[static_cast<size_t>(k)];
  if (tensor_modes) GD_CUDA_CHECK(cudnnSetConvolutionMathType(conv, p.mathType));
  out->algo = p.algo;
  out->bytes = candidates[static_cast<size_t>(k)].workspace_bytes;
  out->math = p.mathType;
  return true;
}

std::string shape_str(const Conv2dShape& s) {
  std::ostringstream os;
  os << "x (" << s.n << "," << s.c << "," << s.h << "," << s.w << ") f=" << s.f << " k=" << s.kh
     << "x" << s.kw << " stride=" << s.stride << " pad=" << s.pad;
  return os.str();
}

void check_cudnn_bound(const Context& ctx) {
  GD_CHECK(ctx.cudnn != nullptr, "CUDA context has no cuDNN handle");
  cudaStream_t st = nullptr;
  GD_CUDA_CHECK(cudnnGetStream(ctx.cudnn, &st));
  GD_CHECK(st == ctx.stream, "the cuDNN handle is not bound to the context's stream");
}

// The geometry of every convolution descriptor of a plan, with the math type of `precision`.
void set_conv_desc(cudnnConvolutionDescriptor_t d, const Conv2dShape& s, MathPrecision precision) {
  const int pad = cudnn_dim(s.pad, "pad"), stride = cudnn_dim(s.stride, "stride");
  GD_CUDA_CHECK(cudnnSetConvolution2dDescriptor(d, pad, pad, stride, stride, 1, 1,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  GD_CUDA_CHECK(cudnnSetConvolutionMathType(d, requested_math(precision)));
}

// The im2col part of a plan: chunks that fit `capacity` bytes (throws when one sample does not).
void plan_im2col(Plan& p, const Conv2dShape& s, size_t capacity) {
  p.use_im2col = true;
  p.im2col_chunk = im2col_chunk_within(s, capacity);
  GD_CHECK(p.im2col_chunk >= 0, "conv2d (cuda): a workspace of " << capacity << " bytes cannot hold the im2col "
                                    << "columns of one sample (" << conv2d_im2col_workspace_bytes(s, 1)
                                    << " bytes) for " << shape_str(s));
  p.workspace_bytes = conv2d_im2col_workspace_bytes(s, p.im2col_chunk);
}

// The plan for shape s whose workspace fits `capacity` bytes (kUnconstrained: the sizing plan).
std::unique_ptr<Plan> build_plan(Context& ctx, const Conv2dShape& s, size_t capacity) {
  auto plan = std::make_unique<Plan>();
  Plan& p = *plan;
  const int64_t x_elems = s.n * s.c * s.h * s.w, y_elems = s.n * s.f * s.oh() * s.ow();
  if (x_elems > INT_MAX || y_elems > INT_MAX || s.f * s.c * s.kh * s.kw > INT_MAX) {
    // The legacy API indexes tensors with int; the im2col path works per sample.
    plan_im2col(p, s, capacity);
    p.description = "im2col+cuBLAS (tensor too large for cuDNN's legacy API) for " + shape_str(s);
    return plan;
  }
  GD_CUDA_CHECK(cudnnSetTensor4dDescriptor(p.x.d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                           cudnn_dim(s.n, "n"), cudnn_dim(s.c, "c"),
                                           cudnn_dim(s.h, "h"), cudnn_dim(s.w, "w")));
  GD_CUDA_CHECK(cudnnSetFilter4dDescriptor(p.w.d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                           cudnn_dim(s.f, "f"), cudnn_dim(s.c, "c"),
                                           cudnn_dim(s.kh, "kh"), cudnn_dim(s.kw, "kw")));
  const MathPrecision precision = ctx.precision;
  set_conv_desc(p.conv_fwd.d, s, precision);
  set_conv_desc(p.conv_data.d, s, precision);
  set_conv_desc(p.conv_filter.d, s, precision);
  int on = 0, of = 0, oh = 0, ow = 0;
  GD_CUDA_CHECK(
      cudnnGetConvolution2dForwardOutputDim(p.conv_fwd.d, p.x.d, p.w.d, &on, &of, &oh, &ow));
  GD_CHECK(on == s.n && of == s.f && oh == s.oh() && ow == s.ow(),
           "cuDNN conv2d output (" << on << "," << of << "," << oh << "," << ow
                                   << ") differs from the contract's (" << s.n << "," << s.f << ","
                                   << s.oh() << "," << s.ow() << ") for " << shape_str(s));
  GD_CUDA_CHECK(
      cudnnSetTensor4dDescriptor(p.y.d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, on, of, oh, ow));

  cudnnHandle_t h = ctx.cudnn;
  const size_t limit = std::min(capacity, kMaxWorkspaceBytes);
  Choice<cudnnConvolutionFwdAlgo_t> fwd;
  Choice<cudnnConvolutionBwdDataAlgo_t> data;
  Choice<cudnnConvolutionBwdFilterAlgo_t> filter;

  int count = 0, returned = 0;
  GD_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> fwd_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, p.x.d, p.w.d, p.conv_fwd.d, p.y.d, count,
                                                       &returned, fwd_perf.data()));
  const bool have_fwd = choose(
      fwd_perf, returned, precision, limit, p.conv_fwd.d,
      [&](cudnnConvolutionFwdAlgo_t a, size_t* b) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, p.x.d, p.w.d, p.conv_fwd.d, p.y.d, a, b);
      },
      &fwd);

  GD_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> data_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, p.w.d, p.y.d, p.conv_data.d, p.x.d,
                                                            count, &returned, data_perf.data()));
  const bool have_data = choose(
      data_perf, returned, precision, limit, p.conv_data.d,
      [&](cudnnConvolutionBwdDataAlgo_t a, size_t* b) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(h, p.w.d, p.y.d, p.conv_data.d, p.x.d,
                                                            a, b);
      },
      &data);

  GD_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> filter_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
      h, p.x.d, p.y.d, p.conv_filter.d, p.w.d, count, &returned, filter_perf.data()));
  const bool have_filter = choose(
      filter_perf, returned, precision, limit, p.conv_filter.d,
      [&](cudnnConvolutionBwdFilterAlgo_t a, size_t* b) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p.x.d, p.y.d, p.conv_filter.d,
                                                              p.w.d, a, b);
      },
      &filter);

  // FP32 plans are described exactly as before the precision setting existed.
  const std::string mode =
      precision == MathPrecision::FP32
          ? std::string()
          : std::string(" precision=") + math_precision_name(precision) +
                (precision == MathPrecision::BF16 ? " (convolutions as tf32)" : "");
  std::ostringstream os;
  if (!(have_fwd && have_data && have_filter)) {
    plan_im2col(p, s, capacity);
    os << "im2col+cuBLAS (cuDNN offered no admissible algorithm for" << (have_fwd ? "" : " forward")
       << (have_data ? "" : " backward-data") << (have_filter ? "" : " backward-filter") << ") for "
       << shape_str(s) << ", workspace=" << p.workspace_bytes << " bytes" << mode;
    if (p.im2col_chunk > 0) os << ", chunks of " << p.im2col_chunk << " samples";
  } else {
    p.fwd = fwd.algo;
    p.bwd_data = data.algo;
    p.bwd_filter = filter.algo;
    p.workspace_bytes = std::max({fwd.bytes, data.bytes, filter.bytes});
    auto tags = [&](cudnnMathType_t math) { return precision != MathPrecision::FP32 ? math_tag(math) : ""; };
    os << conv2d_implementation() << " fwd=" << int(p.fwd) << tags(fwd.math)
       << " bwd_data=" << int(p.bwd_data) << tags(data.math)
       << " bwd_filter=" << int(p.bwd_filter) << tags(filter.math)
       << " workspace=" << p.workspace_bytes << " bytes for " << shape_str(s) << mode;
  }
  if (capacity != kUnconstrained) os << " (within a " << capacity << "-byte workspace)";
  p.description = os.str();
  return plan;
}

// The cached plan for shape s on the current device and `capacity`, built on first use.
const Plan& cached_plan(Context& ctx, const Conv2dShape& s, size_t capacity) {
  int device = 0;
  GD_CUDA_CHECK(cudaGetDevice(&device));
  const int64_t cap_key = capacity == kUnconstrained ? -1 : static_cast<int64_t>(capacity);
  const PlanKey key{device, s.n,  s.c,      s.h,   s.w, s.f,
                    s.kh,   s.kw, s.stride, s.pad, static_cast<int64_t>(ctx.precision), cap_key};
  PlanCache& cache = plan_cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  auto it = cache.plans.find(key);
  if (it != cache.plans.end()) return *it->second;
  check_cudnn_bound(ctx);
  auto plan = build_plan(ctx, s, capacity);
  const Plan& ref = *plan;
  cache.plans.emplace(key, std::move(plan));
  return ref;
}

// The shape's own plan when its workspace fits `capacity`, else one constrained to the capacity.
const Plan& get_plan(Context& ctx, const Conv2dShape& s, size_t capacity = kUnconstrained) {
  const Plan& own = cached_plan(ctx, s, kUnconstrained);
  if (own.workspace_bytes <= capacity) return own;
  return cached_plan(ctx, s, capacity);
}

}  // namespace
#endif  // GD_HAVE_CUDNN

const char* conv2d_implementation() {
#ifdef GD_HAVE_CUDNN
  static const std::string name = [] {
    const size_t v = cudnnGetVersion();  // major*10000 + minor*100 + patch (cuDNN 9)
    std::ostringstream os;
    os << "cuDNN " << v / 10000 << "." << (v % 10000) / 100 << "." << v % 100;
    return os.str();
  }();
  return name.c_str();
#else
  return "im2col+cuBLAS";
#endif
}

size_t conv2d_plan_cache_size() {
#ifdef GD_HAVE_CUDNN
  PlanCache& cache = plan_cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  return cache.plans.size();
#else
  return 0;
#endif
}

std::string conv2d_plan_description(Context& ctx, const Conv2dShape& s) {
  s.validate();
#ifdef GD_HAVE_CUDNN
  return get_plan(ctx, s).description;
#else
  (void)ctx;
  return "im2col+cuBLAS workspace=" + std::to_string(conv2d_im2col_workspace_bytes(s)) + " bytes";
#endif
}

size_t conv2d_workspace_bytes(Context& ctx, const Conv2dShape& s) {
  s.validate();
#ifdef GD_HAVE_CUDNN
  return get_plan(ctx, s).workspace_bytes;
#else
  (void)ctx;
  return conv2d_im2col_workspace_bytes(s);
#endif
}

#ifdef GD_HAVE_CUDNN
namespace {
// The plan for a call with workspace `ws`, after checking the workspace holds what it needs.
const Plan& plan_for_call(Context& ctx, const Conv2dShape& s, Workspace ws, const char* who) {
  const Plan& p = get_plan(ctx, s, ws.bytes);
  GD_CHECK(p.workspace_bytes <= ws.bytes && (ws.data || p.workspace_bytes == 0),
           who << ": workspace of " << ws.bytes << " bytes" << (ws.data ? "" : " (null)") << ", "
               << p.workspace_bytes << " needed for " << shape_str(s));
  return p;
}
}  // namespace
#endif

#ifndef GD_HAVE_CUDNN
// Builds without cuDNN: the capacity bounds the im2col chunking.
namespace {
int64_t im2col_chunk_for_call(const Conv2dShape& s, Workspace ws, const char* who) {
  const int64_t chunk = im2col_chunk_within(s, ws.bytes);
  GD_CHECK(chunk >= 0, who << ": workspace of " << ws.bytes << " bytes cannot hold the im2col columns of one "
                           << "sample (" << conv2d_im2col_workspace_bytes(s, 1) << " bytes)");
  GD_CHECK(ws.data != nullptr, who << ": null workspace");
  return chunk;
}
}  // namespace
#endif

// x (N,C,H,W), w (F,C,KH,KW), b (F) or nullptr (no bias), workspace (its capacity in ws.bytes) ->
// y (N,F,OH,OW) OVERWRITTEN.
void conv2d_forward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                    const float* b, float* y, Workspace ws) {
  s.validate();
  GD_CHECK(x && w && y, "cuda::conv2d_forward: null x, w or y");
#ifdef GD_HAVE_CUDNN
  const Plan& p = plan_for_call(ctx, s, ws, "cuda::conv2d_forward");
  if (!p.use_im2col) {
    check_cudnn_bound(ctx);
    const float one = 1.0f, zero = 0.0f;
    GD_CUDA_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, p.x.d, x, p.w.d, w, p.conv_fwd.d, p.fwd,
                                          ws.data, ws.data ? ws.bytes : 0, &zero, p.y.d, y));
    if (b) detail::add_channel_bias(ctx.stream, s.n, s.f, s.oh() * s.ow(), b, y);
    return;
  }
  conv2d_im2col_forward(ctx, s, x, w, b, y, ws.data, p.im2col_chunk);
#else
  conv2d_im2col_forward(ctx, s, x, w, b, y, ws.data, im2col_chunk_for_call(s, ws, "cuda::conv2d_forward"));
#endif
}

// dy (N,F,OH,OW) -> dw (F,C,KH,KW) OVERWRITTEN; dx (N,C,H,W) and db (F) OVERWRITTEN unless nullptr
// (then skipped). workspace: its capacity in ws.bytes.
void conv2d_backward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                     const float* dy, float* dx, float* dw, float* db, Workspace ws) {
  s.validate();
  GD_CHECK(x && w && dy && dw, "cuda::conv2d_backward: null x, w, dy or dw");
#ifdef GD_HAVE_CUDNN
  const Plan& p = plan_for_call(ctx, s, ws, "cuda::conv2d_backward");
  if (!p.use_im2col) {
    check_cudnn_bound(ctx);
    const float one = 1.0f, zero = 0.0f;
    GD_CUDA_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, p.x.d, x, p.y.d, dy,
                                                 p.conv_filter.d, p.bwd_filter, ws.data, ws.data ? ws.bytes : 0,
                                                 &zero, p.w.d, dw));
    if (dx) {
      GD_CUDA_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, p.w.d, w, p.y.d, dy,
                                                 p.conv_data.d, p.bwd_data, ws.data, ws.data ? ws.bytes : 0,
                                                 &zero, p.x.d, dx));
    }
    if (db) detail::channel_bias_grad(ctx.stream, s.n, s.f, s.oh() * s.ow(), dy, db);
    return;
  }
  conv2d_im2col_backward(ctx, s, x, w, dy, dx, dw, db, ws.data, p.im2col_chunk);
#else
  conv2d_im2col_backward(ctx, s, x, w, dy, dx, dw, db, ws.data,
                         im2col_chunk_for_call(s, ws, "cuda::conv2d_backward"));
#endif
}

}  // namespace gd::cuda
