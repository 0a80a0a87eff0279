#pragma once
// The six one-dimensional transforms of Winograd's minimal filtering algorithm F(4,3) (Lavin & Gray
// 2016, interpolation points 0, 1, -1, 2, -2 and infinity), each applied to many independent
// "lanes" at once so the loops vectorise. A 2-d transform of a tile is two 1-d passes (rows, then
// columns), see engine/ref/conv2d_winograd.cpp.
//
//   forward  Y (4x4) = AT [ (G g GT) (.) (BT d B) ] A      g: 3x3 kernel, d: 6x6 input tile
//   its adjoints, for the gradients (summed over the tiles a weight or an input pixel is in):
//            dg (3x3) = GT [ (A dY AT) (.) (BT d B) ] G    dY: 4x4 output-gradient tile
//            dd (6x6) = B  [ (A dY AT) (.) (G g GT) ] BT
//
// Every function reads `k_in` rows and writes `k_out` rows of `lanes` floats: row r of the input at
// in + r*in_stride, row r of the output at out + r*out_stride (strides in floats). Input and output
// must not overlap. The matrices below are the definitions; the functions are the same products
// written out with the zero entries skipped and common sub-expressions shared (the test checks them
// against the matrices).
#include <cstdint>

namespace gd::winograd {

inline constexpr int kTile = 6;    // alpha = m + r - 1: input tile and transform-domain extent
inline constexpr int kOut = 4;     // m: output tile extent
inline constexpr int kKernel = 3;  // r: kernel extent

// Input transform BT (6x6).
inline constexpr float kBT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                                    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
// Kernel transform G (6x3).
inline constexpr float kG[6][3] = {{1.0f / 4, 0, 0},
                                   {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                   {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                   {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                   {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                   {0, 0, 1}};
// Output transform AT (4x6).
inline constexpr float kAT[4][6] = {
    {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};

// out (6 rows) = BT (6x6) * in (6 rows).
inline void input_1d(const float* __restrict in, int64_t in_stride, float* __restrict out,
                     int64_t out_stride, int64_t lanes) {
  const float *d0 = in, *d1 = in + in_stride, *d2 = in + 2 * in_stride, *d3 = in + 3 * in_stride,
              *d4 = in + 4 * in_stride, *d5 = in + 5 * in_stride;
  float *o0 = out, *o1 = out + out_stride, *o2 = out + 2 * out_stride, *o3 = out + 3 * out_stride,
        *o4 = out + 4 * out_stride, *o5 = out + 5 * out_stride;
#pragma omp simd
  for (int64_t l = 0; l < lanes; ++l) {
    const float s12 = d1[l] + d2[l], t12 = d1[l] - d2[l];
    const float s34 = d3[l] + d4[l], t43 = d4[l] - d3[l];
    const float t42 = d4[l] - d2[l], t31 = d3[l] - d1[l];
    o0[l] = 4.0f * d0[l] - 5.0f * d2[l] + d4[l];
    o1[l] = s34 - 4.0f * s12;
    o2[l] = t43 + 4.0f * t12;
    o3[l] = t42 + 2.0f * t31;
    o4[l] = t42 - 2.0f * t31;
    o5[l] = 4.0f * d1[l] - 5.0f * d3[l] + d5[l];
  }
}

// out (6 rows) = B (6x6) * in (6 rows), B = BT transposed: the adjoint of input_1d.
inline void input_adjoint_1d(const float* __restrict in, int64_t in_stride, float* __restrict out,
                             int64_t out_stride, int64_t lanes) {
  const float *n0 = in, *n1 = in + in_stride, *n2 = in + 2 * in_stride, *n3 = in + 3 * in_stride,
              *n4 = in + 4 * in_stride, *n5 = in + 5 * in_stride;
  float *o0 = out, *o1 = out + out_stride, *o2 = out + 2 * out_stride, *o3 = out + 3 * out_stride,
        *o4 = out + 4 * out_stride, *o5 = out + 5 * out_stride;
#pragma omp simd
  for (int64_t l = 0; l < lanes; ++l) {
    const float s12 = n1[l] + n2[l], t12 = n1[l] - n2[l];
    const float s34 = n3[l] + n4[l], t34 = n3[l] - n4[l];
    o0[l] = 4.0f * n0[l];
    o1[l] = 4.0f * (n5[l] - t12) - 2.0f * t34;
    o2[l] = -5.0f * n0[l] - 4.0f * s12 - s34;
    o3[l] = t12 + 2.0f * t34 - 5.0f * n5[l];
    o4[l] = n0[l] + s12 + s34;
    o5[l] = n5[l];
  }
}

// out (6 rows) = G (6x3) * in (3 rows).
inline void kernel_1d(const float* __restrict in, int64_t in_stride, float* __restrict out,
                      int64_t out_stride, int64_t lanes) {
  const float *g0 = in, *g1 = in + in_stride, *g2 = in + 2 * in_stride;
  float *o0 = out, *o1 = out + out_stride, *o2 = out + 2 * out_stride, *o3 = out + 3 * out_stride,
        *o4 = out + 4 * out_stride, *o5 = out + 5 * out_stride;
#pragma omp simd
  for (int64_t l = 0; l < lanes; ++l) {
    const float s02 = g0[l] + g2[l];
    const float q = g0[l] * (1.0f / 24) + g2[l] * (1.0f / 6), h = g1[l] * (1.0f / 12);
    o0[l] = g0[l] * 0.25f;
    o1[l] = -(s02 + g1[l]) * (1.0f / 6);
    o2[l] = -(s02 - g1[l]) * (1.0f / 6);
    o3[l] = q + h;
    o4[l] = q - h;
    o5[l] = g2[l];
  }
}

// out (4 rows) = AT (4x6) * in (6 rows).
inline void output_1d(const float* __restrict in, int64_t in_stride, float* __restrict out,
                      int64_t out_stride, int64_t lanes) {
  const float *m0 = in, *m1 = in + in_stride, *m2 = in + 2 * in_stride, *m3 = in + 3 * in_stride,
              *m4 = in + 4 * in_stride, *m5 = in + 5 * in_stride;
  float *o0 = out, *o1 = out + out_stride, *o2 = out + 2 * out_stride, *o3 = out + 3 * out_stride;
#pragma omp simd
  for (int64_t l = 0; l < lanes; ++l) {
    const float s12 = m1[l] + m2[l], t12 = m1[l] - m2[l];
    const float s34 = m3[l] + m4[l], t34 = m3[l] - m4[l];
    o0[l] = m0[l] + s12 + s34;
    o1[l] = t12 + 2.0f * t34;
    o2[l] = s12 + 4.0f * s34;
    o3[l] = t12 + 8.0f * t34 + m5[l];
  }
}

// out (6 rows) = A (6x4) * in (4 rows), A = AT transposed: the adjoint of output_1d.
inline void output_adjoint_1d(const float* __restrict in, int64_t in_stride, float* __restrict out,
                              int64_t out_stride, int64_t lanes) {
  const float *e0 = in, *e1 = in + in_stride, *e2 = in + 2 * in_stride, *e3 = in + 3 * in_stride;
  float *o0 = out, *o1 = out + out_stride, *o2 = out + 2 * out_stride, *o3 = out + 3 * out_stride,
        *o4 = out + 4 * out_stride, *o5 = out + 5 * out_stride;
#pragma omp simd
  for (int64_t l = 0; l < lanes; ++l) {
    const float s02 = e0[l] + e2[l], s13 = e1[l] + e3[l];
    const float q02 = e0[l] + 4.0f * e2[l], q13 = 2.0f * e1[l] + 8.0f * e3[l];
    o0[l] = e0[l];
    o1[l] = s02 + s13;
    o2[l] = s02 - s13;
    o3[l] = q02 + q13;
    o4[l] = q02 - q13;
    o5[l] = e3[l];
  }
}

// out (3 rows) = GT (3x6) * in (6 rows): the adjoint of kernel_1d.
inline void kernel_adjoint_1d(const float* __restrict in, int64_t in_stride, float* __restrict out,
                              int64_t out_stride, int64_t lanes) {
  const float *s0 = in, *s1 = in + in_stride, *s2 = in + 2 * in_stride, *s3 = in + 3 * in_stride,
              *s4 = in + 4 * in_stride, *s5 = in + 5 * in_stride;
  float *o0 = out, *o1 = out + out_stride, *o2 = out + 2 * out_stride;
#pragma omp simd
  for (int64_t l = 0; l < lanes; ++l) {
    const float s12 = s1[l] + s2[l], t21 = s2[l] - s1[l];
    const float s34 = s3[l] + s4[l], t34 = s3[l] - s4[l];
    o0[l] = 0.25f * s0[l] - s12 * (1.0f / 6) + s34 * (1.0f / 24);
    o1[l] = t21 * (1.0f / 6) + t34 * (1.0f / 12);
    o2[l] = (s34 - s12) * (1.0f / 6) + s5[l];
  }
}

}  // namespace gd::winograd
