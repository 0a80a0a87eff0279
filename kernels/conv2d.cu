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
//   - deterministic algorithms first, in heuristic order, then any, in heuristic order;
//   - at most kMaxWorkspaceBytes of workspace per algorithm.
// The workspace of a plan is the maximum over its three algorithms, so conv2d_workspace_bytes
// returns exactly what every later call with that shape needs. A shape with no admissible algorithm
// in one direction runs entirely on the im2col + cuBLAS path (kernels/conv2d_im2col.cu), as do all
// shapes in builds without cuDNN. Bias add and bias gradient use bias.cuh in both paths.
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
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  size_t workspace_bytes = 0;
  std::string description;
};

// device, n, c, h, w, f, kh, kw, stride, pad, precision
using PlanKey = std::array<int64_t, 11>;

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
  bool deterministic = false;
  cudnnMathType_t math = CUDNN_FMA_MATH;  // the math type the algorithm reported
};

// The math type of a chosen algorithm, for plan descriptions in the tensor-op modes.
const char* math_tag(cudnnMathType_t m) {
  return m == CUDNN_TENSOR_OP_MATH ? " (tensor-op)" : m == CUDNN_DEFAULT_MATH ? " (default-math)"
                                                                               : " (fma)";
}

// From heuristic results (best first), for one direction whose descriptor is `conv`:
//   FP32 mode: the first admissible deterministic one, else the first admissible one, where
//     admissible means supported for this shape, FP32 math (FMA or default), direct-sum, and its
//     workspace query (`workspace(algo, &bytes)`) succeeds with at most kMaxWorkspaceBytes; the
//     descriptor keeps CUDNN_FMA_MATH.
//   Tensor-op modes: the same passes, first over candidates reporting CUDNN_TENSOR_OP_MATH, then
//     over the FP32-math ones; before its workspace query each candidate's math type is set on
//     `conv`, so the descriptor ends with the chosen one's.
// Returns false when none is admissible.
template <typename Perf, typename Algo, typename WorkspaceFn>
bool choose(const std::vector<Perf>& perf, int returned, MathPrecision precision,
            cudnnConvolutionDescriptor_t conv, WorkspaceFn workspace, Choice<Algo>* out) {
  const bool tensor_modes = precision != MathPrecision::FP32;
  const int kinds = tensor_modes ? 2 : 1;  // tensor-op candidates first, then FP32-math ones
  for (int kind = 0; kind < kinds; ++kind) {
    const bool want_tensor_op = tensor_modes && kind == 0;
    for (int pass = 0; pass < 2; ++pass) {
      for (int i = 0; i < returned; ++i) {
        const Perf& p = perf[i];
        if (p.status != CUDNN_STATUS_SUCCESS || transform_based(p.algo)) continue;
        const bool tensor_op = p.mathType == CUDNN_TENSOR_OP_MATH;
        if (want_tensor_op ? !tensor_op : !fp32_math(p.mathType)) continue;
        if (pass == 0 && p.determinism != CUDNN_DETERMINISTIC) continue;
        if (tensor_modes) GD_CUDA_CHECK(cudnnSetConvolutionMathType(conv, p.mathType));
        size_t need = 0;
        if (workspace(p.algo, &need) != CUDNN_STATUS_SUCCESS) continue;
        need = std::max(need, p.memory);
        if (need > kMaxWorkspaceBytes) continue;
        out->algo = p.algo;
        out->bytes = need;
        out->deterministic = p.determinism == CUDNN_DETERMINISTIC;
        out->math = p.mathType;
        return true;
      }
    }
  }
  return false;
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

std::unique_ptr<Plan> build_plan(Context& ctx, const Conv2dShape& s) {
  auto plan = std::make_unique<Plan>();
  Plan& p = *plan;
  const int64_t x_elems = s.n * s.c * s.h * s.w, y_elems = s.n * s.f * s.oh() * s.ow();
  if (x_elems > INT_MAX || y_elems > INT_MAX || s.f * s.c * s.kh * s.kw > INT_MAX) {
    // The legacy API indexes tensors with int; the im2col path works per sample.
    p.use_im2col = true;
    p.workspace_bytes = conv2d_im2col_workspace_bytes(s);
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
  Choice<cudnnConvolutionFwdAlgo_t> fwd;
  Choice<cudnnConvolutionBwdDataAlgo_t> data;
  Choice<cudnnConvolutionBwdFilterAlgo_t> filter;

  int count = 0, returned = 0;
  GD_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> fwd_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, p.x.d, p.w.d, p.conv_fwd.d, p.y.d, count,
                                                       &returned, fwd_perf.data()));
  const bool have_fwd = choose(
      fwd_perf, returned, precision, p.conv_fwd.d,
      [&](cudnnConvolutionFwdAlgo_t a, size_t* b) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, p.x.d, p.w.d, p.conv_fwd.d, p.y.d, a, b);
      },
      &fwd);

  GD_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> data_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, p.w.d, p.y.d, p.conv_data.d, p.x.d,
                                                            count, &returned, data_perf.data()));
  const bool have_data = choose(
      data_perf, returned, precision, p.conv_data.d,
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
      filter_perf, returned, precision, p.conv_filter.d,
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
    p.use_im2col = true;
    p.workspace_bytes = conv2d_im2col_workspace_bytes(s);
    os << "im2col+cuBLAS (cuDNN offered no admissible algorithm for" << (have_fwd ? "" : " forward")
       << (have_data ? "" : " backward-data") << (have_filter ? "" : " backward-filter") << ") for "
       << shape_str(s) << ", workspace=" << p.workspace_bytes << " bytes" << mode;
  } else {
    p.fwd = fwd.algo;
    p.bwd_data = data.algo;
    p.bwd_filter = filter.algo;
    p.workspace_bytes = std::max({fwd.bytes, data.bytes, filter.bytes});
    auto tags = [&](bool deterministic, cudnnMathType_t math) {
      std::string t = deterministic ? "" : " (non-deterministic)";
      if (precision != MathPrecision::FP32) t += math_tag(math);
      return t;
    };
    os << conv2d_implementation() << " fwd=" << int(p.fwd) << tags(fwd.deterministic, fwd.math)
       << " bwd_data=" << int(p.bwd_data) << tags(data.deterministic, data.math)
       << " bwd_filter=" << int(p.bwd_filter) << tags(filter.deterministic, filter.math)
       << " workspace=" << p.workspace_bytes << " bytes for " << shape_str(s) << mode;
  }
  p.description = os.str();
  return plan;
}

// The cached plan for shape s on the current device, built on first use.
const Plan& get_plan(Context& ctx, const Conv2dShape& s) {
  int device = 0;
  GD_CUDA_CHECK(cudaGetDevice(&device));
  const PlanKey key{device, s.n,  s.c,      s.h,   s.w, s.f,
                    s.kh,   s.kw, s.stride, s.pad, static_cast<int64_t>(ctx.precision)};
  PlanCache& cache = plan_cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  auto it = cache.plans.find(key);
  if (it != cache.plans.end()) return *it->second;
  check_cudnn_bound(ctx);
  auto plan = build_plan(ctx, s);
  const Plan& ref = *plan;
  cache.plans.emplace(key, std::move(plan));
  return ref;
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

// x (N,C,H,W), w (F,C,KH,KW), b (F) or nullptr (no bias), workspace (conv2d_workspace_bytes) ->
// y (N,F,OH,OW) OVERWRITTEN.
void conv2d_forward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                    const float* b, float* y, void* workspace) {
  s.validate();
  GD_CHECK(x && w && y, "cuda::conv2d_forward: null x, w or y");
#ifdef GD_HAVE_CUDNN
  const Plan& p = get_plan(ctx, s);
  if (!p.use_im2col) {
    GD_CHECK(workspace || p.workspace_bytes == 0,
             "cuda::conv2d_forward: null workspace, " << p.workspace_bytes << " bytes needed");
    check_cudnn_bound(ctx);
    const float one = 1.0f, zero = 0.0f;
    GD_CUDA_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, p.x.d, x, p.w.d, w, p.conv_fwd.d, p.fwd,
                                          workspace, p.workspace_bytes, &zero, p.y.d, y));
    if (b) detail::add_channel_bias(ctx.stream, s.n, s.f, s.oh() * s.ow(), b, y);
    return;
  }
#endif
  conv2d_im2col_forward(ctx, s, x, w, b, y, workspace);
}

// dy (N,F,OH,OW) -> dw (F,C,KH,KW) OVERWRITTEN; dx (N,C,H,W) and db (F) OVERWRITTEN unless nullptr
// (then skipped). workspace: conv2d_workspace_bytes.
void conv2d_backward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                     const float* dy, float* dx, float* dw, float* db, void* workspace) {
  s.validate();
  GD_CHECK(x && w && dy && dw, "cuda::conv2d_backward: null x, w, dy or dw");
#ifdef GD_HAVE_CUDNN
  const Plan& p = get_plan(ctx, s);
  if (!p.use_im2col) {
    GD_CHECK(workspace || p.workspace_bytes == 0,
             "cuda::conv2d_backward: null workspace, " << p.workspace_bytes << " bytes needed");
    check_cudnn_bound(ctx);
    const float one = 1.0f, zero = 0.0f;
    GD_CUDA_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, p.x.d, x, p.y.d, dy,
                                                 p.conv_filter.d, p.bwd_filter, workspace,
                                                 p.workspace_bytes, &zero, p.w.d, dw));
    if (dx) {
      GD_CUDA_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, p.w.d, w, p.y.d, dy,
                                                 p.conv_data.d, p.bwd_data, workspace,
                                                 p.workspace_bytes, &zero, p.x.d, dx));
    }
    if (db) detail::channel_bias_grad(ctx.stream, s.n, s.f, s.oh() * s.ow(), dy, db);
    return;
  }
#endif
  conv2d_im2col_backward(ctx, s, x, w, dy, dx, dw, db, workspace);
}

}  // namespace gd::cuda
