#pragma once
// Winograd F(4x4,3x3) convolution (Lavin & Gray 2016) for the CPU backend's float path: the same
// contract as engine/ops/conv2d.h (NCHW, cross-correlation; forward OVERWRITES y; backward
// OVERWRITES dw, and dx / db unless they are null), for 3x3 kernels with stride 1 and any padding.
// It does 4x fewer multiplications than the direct (im2col) convolution in its GEMMs. Per chunk of
// 4x4 output tiles (across the batch), with xi running over the 6x6 transform domain:
//   forward   V = BT d B (6x6 input patches), M_xi (F,tiles) = U_xi (F,C) * V_xi (C,tiles),
//             y tile = AT m A + b                                 (U = G g GT, the kernels)
//   backward  Z = A e AT (4x4 dy tiles), and the adjoints of the forward in g and in d:
//             dw: S_xi (F,C) += Z_xi * V_xi^T over all tiles, dw = GT s G
//             dx: N_xi (C,tiles) = U_xi^T * Z_xi, patch B n BT added into dx (patches overlap)
// (engine/ref/winograd_f4x3.h holds the transforms).
//
// The float rounding error is larger than the direct convolution's by the transforms' amplification
// (at most about 31x for y, 17x for dx, 24x for dw with random data: tests/conv2d_winograd_test.cpp
// derives these); the double reference conv2d_*_ref stays the yardstick every implementation is
// checked against.
//
// Threading and determinism follow conv2d_ref.cpp: the forward pass splits the chunks, the backward
// pass the images, into `slots` contiguous runs, one OpenMP iteration per slot, OpenBLAS
// single-threaded inside; each slot owns a slice of the workspace and, for dw, a partial sum added in
// slot order. The thread count behind the slots is read once, at the first use in the process, so a
// workspace sized earlier never overruns and results are deterministic for a given thread count.
#include <cstddef>

#include "engine/ops/conv2d.h"

namespace gd {

// True when the shape can be computed here: 3x3 kernel, stride 1 (any padding).
bool conv2d_winograd_supported(const Conv2dShape& s);

// The CPU backend's choice: supported, and at least 8 input channels (with fewer, the transforms
// cost more than the multiplications they save; docs/design.md has the measurements). Throws
// ShapeError for an invalid shape.
bool conv2d_uses_winograd(const Conv2dShape& s);

// Workspace (floats) for conv2d_forward_winograd and conv2d_backward_winograd on s; never shrinks
// below what a smaller batch needs, so a workspace sized for the largest batch serves every batch.
// Throws ShapeError when s is invalid or not supported.
size_t conv2d_winograd_workspace_elems(const Conv2dShape& s);

// x (N,C,H,W), w (F,C,3,3), b (F) -> y (N,F,OH,OW), OVERWRITTEN.
void conv2d_forward_winograd(const Conv2dShape& s, const float* x, const float* w, const float* b,
                             float* y, float* workspace);

// dy (N,F,OH,OW) -> dw (F,C,3,3) OVERWRITTEN; dx (N,C,H,W) and db (F) OVERWRITTEN unless null.
void conv2d_backward_winograd(const Conv2dShape& s, const float* x, const float* w, const float* dy,
                              float* dx, float* dw, float* db, float* workspace);

}  // namespace gd
