// 2-d convolution on the GPU (contract in engine/ops/conv2d.h): the dispatch of kernels/cuda_ops.h.
// With cuDNN (GD_HAVE_CUDNN) each shape gets a plan once: descriptors plus one algorithm each for
// forward, backward-data and backward-filter, chosen by cuDNN's heuristics (cudnnGet*_v7: no timing
// runs, so the choice is reproducible from run to run), and cached by shape and device. Choice
// rules:
//   - FP32 arithmetic only: the convolution descriptor asks for CUDNN_FMA_MATH, and candidates that
//     report tensor-op math are skipped (on Ampere and later the default math would allow TF32,
//     whose 10-bit mantissa is far outside the float tolerance the tests and the CPU backend hold);
//   - direct-sum algorithms only: transform-based ones (FFT, Winograd) are skipped, since their
//     rounding is not bounded by the direct-sum analysis the float tolerances rest on;
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
  ConvDesc conv;
  bool use_im2col = false;
  cudnnConvolutionFwdAlgo_t fwd{};
  cudnnConvolutionBwdDataAlgo_t bwd_data{};
  cudnnConvolutionBwdFilterAlgo_t bwd_filter{};
  size_t workspace_bytes = 0;
  std::string description;
};

using PlanKey = std::array<int64_t, 10>;  // device, n, c, h, w, f, kh, kw, stride, pad

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

// From heuristic results (best first): the first admissible deterministic one, else the first
// admissible one. Admissible: supported for this shape, FP32 math, direct-sum, and its workspace
// query (`workspace(algo, &bytes)`) succeeds with at most kMaxWorkspaceBytes.
// Returns false when none is.
template <typename Perf, typename Algo, typename WorkspaceFn>
bool choose(const std::vector<Perf>& perf, int returned, WorkspaceFn workspace, Algo* algo,
            size_t* bytes, bool* deterministic) {
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < returned; ++i) {
      const Perf& p = perf[i];
      if (p.status != CUDNN_STATUS_SUCCESS || !fp32_math(p.mathType) || transform_based(p.algo))
        continue;
      if (pass == 0 && p.determinism != CUDNN_DETERMINISTIC) continue;
      size_t need = 0;
      if (workspace(p.algo, &need) != CUDNN_STATUS_SUCCESS) continue;
      need = std::max(need, p.memory);
      if (need > kMaxWorkspaceBytes) continue;
      *algo = p.algo;
      *bytes = need;
      *deterministic = p.determinism == CUDNN_DETERMINISTIC;
      return true;
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
  const int pad = cudnn_dim(s.pad, "pad"), stride = cudnn_dim(s.stride, "stride");
  GD_CUDA_CHECK(cudnnSetConvolution2dDescriptor(p.conv.d, pad, pad, stride, stride, 1, 1,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  GD_CUDA_CHECK(cudnnSetConvolutionMathType(p.conv.d, CUDNN_FMA_MATH));
  int on = 0, of = 0, oh = 0, ow = 0;
  GD_CUDA_CHECK(cudnnGetConvolution2dForwardOutputDim(p.conv.d, p.x.d, p.w.d, &on, &of, &oh, &ow));
  GD_CHECK(on == s.n && of == s.f && oh == s.oh() && ow == s.ow(),
           "cuDNN conv2d output (" << on << "," << of << "," << oh << "," << ow
                                   << ") differs from the contract's (" << s.n << "," << s.f << ","
                                   << s.oh() << "," << s.ow() << ") for " << shape_str(s));
  GD_CUDA_CHECK(
      cudnnSetTensor4dDescriptor(p.y.d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, on, of, oh, ow));

  cudnnHandle_t h = ctx.cudnn;
  size_t fwd_bytes = 0, data_bytes = 0, filter_bytes = 0;
  bool fwd_det = false, data_det = false, filter_det = false;

  int count = 0, returned = 0;
  GD_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionFwdAlgoPerf_t> fwd_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(h, p.x.d, p.w.d, p.conv.d, p.y.d, count,
                                                       &returned, fwd_perf.data()));
  const bool have_fwd = choose(
      fwd_perf, returned,
      [&](cudnnConvolutionFwdAlgo_t a, size_t* b) {
        return cudnnGetConvolutionForwardWorkspaceSize(h, p.x.d, p.w.d, p.conv.d, p.y.d, a, b);
      },
      &p.fwd, &fwd_bytes, &fwd_det);

  GD_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionBwdDataAlgoPerf_t> data_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(h, p.w.d, p.y.d, p.conv.d, p.x.d, count,
                                                            &returned, data_perf.data()));
  const bool have_data = choose(
      data_perf, returned,
      [&](cudnnConvolutionBwdDataAlgo_t a, size_t* b) {
        return cudnnGetConvolutionBackwardDataWorkspaceSize(h, p.w.d, p.y.d, p.conv.d, p.x.d, a, b);
      },
      &p.bwd_data, &data_bytes, &data_det);

  GD_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, &count));
  std::vector<cudnnConvolutionBwdFilterAlgoPerf_t> filter_perf(std::max(count, 1));
  GD_CUDA_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
      h, p.x.d, p.y.d, p.conv.d, p.w.d, count, &returned, filter_perf.data()));
  const bool have_filter = choose(
      filter_perf, returned,
      [&](cudnnConvolutionBwdFilterAlgo_t a, size_t* b) {
        return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, p.x.d, p.y.d, p.conv.d, p.w.d, a,
                                                              b);
      },
      &p.bwd_filter, &filter_bytes, &filter_det);

  std::ostringstream os;
  if (!(have_fwd && have_data && have_filter)) {
    p.use_im2col = true;
    p.workspace_bytes = conv2d_im2col_workspace_bytes(s);
    os << "im2col+cuBLAS (cuDNN offered no admissible algorithm for" << (have_fwd ? "" : " forward")
       << (have_data ? "" : " backward-data") << (have_filter ? "" : " backward-filter") << ") for "
       << shape_str(s) << ", workspace=" << p.workspace_bytes << " bytes";
  } else {
    p.workspace_bytes = std::max({fwd_bytes, data_bytes, filter_bytes});
    auto det = [](bool d) { return d ? "" : " (non-deterministic)"; };
    os << conv2d_implementation() << " fwd=" << int(p.fwd) << det(fwd_det)
       << " bwd_data=" << int(p.bwd_data) << det(data_det) << " bwd_filter=" << int(p.bwd_filter)
       << det(filter_det) << " workspace=" << p.workspace_bytes << " bytes for " << shape_str(s);
  }
  p.description = os.str();
  return plan;
}

// The cached plan for shape s on the current device, built on first use.
const Plan& get_plan(Context& ctx, const Conv2dShape& s) {
  int device = 0;
  GD_CUDA_CHECK(cudaGetDevice(&device));
  const PlanKey key{device, s.n, s.c, s.h, s.w, s.f, s.kh, s.kw, s.stride, s.pad};
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

// x (N,C,H,W), w (F,C,KH,KW), b (F), workspace (conv2d_workspace_bytes) -> y (N,F,OH,OW)
// OVERWRITTEN.
void conv2d_forward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                    const float* b, float* y, void* workspace) {
  s.validate();
  GD_CHECK(x && w && b && y, "cuda::conv2d_forward: null pointer argument");
#ifdef GD_HAVE_CUDNN
  const Plan& p = get_plan(ctx, s);
  if (!p.use_im2col) {
    GD_CHECK(workspace || p.workspace_bytes == 0,
             "cuda::conv2d_forward: null workspace, " << p.workspace_bytes << " bytes needed");
    check_cudnn_bound(ctx);
    const float one = 1.0f, zero = 0.0f;
    GD_CUDA_CHECK(cudnnConvolutionForward(ctx.cudnn, &one, p.x.d, x, p.w.d, w, p.conv.d, p.fwd,
                                          workspace, p.workspace_bytes, &zero, p.y.d, y));
    detail::add_channel_bias(ctx.stream, s.n, s.f, s.oh() * s.ow(), b, y);
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
    GD_CUDA_CHECK(cudnnConvolutionBackwardFilter(ctx.cudnn, &one, p.x.d, x, p.y.d, dy, p.conv.d,
                                                 p.bwd_filter, workspace, p.workspace_bytes, &zero,
                                                 p.w.d, dw));
    if (dx) {
      GD_CUDA_CHECK(cudnnConvolutionBackwardData(ctx.cudnn, &one, p.w.d, w, p.y.d, dy, p.conv.d,
                                                 p.bwd_data, workspace, p.workspace_bytes, &zero,
                                                 p.x.d, dx));
    }
    if (db) detail::channel_bias_grad(ctx.stream, s.n, s.f, s.oh() * s.ow(), dy, db);
    return;
  }
#endif
  conv2d_im2col_backward(ctx, s, x, w, dy, dx, dw, db, workspace);
}

}  // namespace gd::cuda
