#pragma once
// Which implementation runs 2-d convolutions on the GPU, the per-shape plan cache, and the
// im2col + cuBLAS implementation itself (kernels/conv2d_im2col.cu). conv2d_forward/backward
// (kernels/cuda_ops.h) dispatch: with cuDNN (GD_HAVE_CUDNN) they run cuDNN's convolutions with
// algorithms chosen once per shape and math precision (Context::precision); a shape for which
// cuDNN offers no admissible algorithm (in FP32 mode: FP32 FMA math only, no TF32), and every shape
// in builds without cuDNN, runs the im2col path, whose GEMMs follow the same precision. The im2col
// entry points are public so tests exercise that path on cuDNN builds too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/ops/conv2d.h"
#include "kernels/cuda_context.h"

namespace gd::cuda {

// "cuDNN 9.19.0" (the version of the library loaded at run time) or "im2col+cuBLAS".
const char* conv2d_implementation();

// Number of (shape, precision) pairs planned so far in this process (cuDNN algorithms chosen and
// cached); 0 in builds without cuDNN. Planning a pair again is a cache hit and leaves the count
// unchanged.
size_t conv2d_plan_cache_size();

// The plan used for shape s in ctx.precision, in words ("cuDNN fwd=... bwd_data=... bwd_filter=...
// workspace=..." or "im2col+cuBLAS ..."; in TF32/BF16 also the precision and which directions run
// tensor-op algorithms); plans the shape if needed.
std::string conv2d_plan_description(Context& ctx, const Conv2dShape& s);

// im2col + cuBLAS convolution, same contract as conv2d_forward / conv2d_backward
// (engine/ops/conv2d.h): y, dw OVERWRITTEN; dx, db OVERWRITTEN unless nullptr (then skipped).
// `workspace` holds conv2d_im2col_workspace_bytes(s, max_chunk) bytes. The batch runs in chunks
// whose columns fit 64 MiB; max_chunk > 0 caps the chunk further (tests use it to cover several
// chunks with small shapes); pass the same max_chunk to all three functions.
size_t conv2d_im2col_workspace_bytes(const Conv2dShape& s, int64_t max_chunk = 0);
void conv2d_im2col_forward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                           const float* b, float* y, void* workspace, int64_t max_chunk = 0);
void conv2d_im2col_backward(Context& ctx, const Conv2dShape& s, const float* x, const float* w,
                            const float* dy, float* dx, float* dw, float* db, void* workspace,
                            int64_t max_chunk = 0);

}  // namespace gd::cuda
