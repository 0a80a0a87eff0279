// Winograd F(4x4,3x3) convolution on the CPU (see conv2d_winograd.h for the algorithm, threading and
// determinism). Everything is float: this is a production path, checked against the double
// reference conv2d_*_ref.
//
// Tiles. A stride-1 3x3 correlation with output (OH,OW) is cut into 4x4 output tiles (the last row
// and column of tiles may be partial); tile t of the whole batch is (image, ty, tx) in row-major
// order, and reads the 6x6 input patch whose top-left corner is (4*ty - pad, 4*tx - pad), zero
// outside the input plane. Tiles are processed in chunks of at most kChunk consecutive tiles; inside
// a chunk, per-tile data is stored "lane-major": row r of a tile set is tc consecutive floats, one
// per tile, so every transform is a vectorised loop over tiles.
//
// The backward pass is the exact adjoint of the forward one, on the same tiles: per chunk, the dy
// tiles are transformed once (Z = A e AT) and feed both the dw GEMMs (with the input tiles V) and
// the dx GEMMs (with the kernels U), whose products are transformed back (B n BT) and added into
// the 6x6 input patches. Neighbouring patches overlap, so in the backward pass each slot owns whole
// images (their dx is then written by that slot alone) and zeroes an image's dx at its first tile.
//
// Workspace layout (floats; Layout below is the single source of truth):
//   [36][F][C]                        transformed kernels U
//   per slot: [36][max(C,F)][kChunk]  V: transformed input tiles; in backward, then the dx products
//             [36][max(C,F)][kChunk]  M: forward GEMM products, or Z: transformed dy tiles
//             [72][max(kChunk,C,F)]   staging for one channel's tiles / one kernel row
//             [36][F][C]              the slot's transform-domain dw partial sum
//             [F]                     the slot's db partial sum
// (each region rounded up to a multiple of 16 floats)
#include "engine/ref/conv2d_winograd.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>

#include "engine/core/error.h"
#include "engine/ref/blas_gemm.h"
#include "engine/ref/winograd_f4x3.h"

namespace gd {

using ref::gemm;
using ref::kNoTrans;
using ref::kTrans;
using winograd::kKernel;
using winograd::kOut;
using winograd::kTile;

namespace {

constexpr int64_t kXi = kTile * kTile;        // 36 points of the transform domain
constexpr int64_t kTaps = kKernel * kKernel;  // 9
// Tiles per chunk: 128 keeps a chunk's V and M (36 * 128 * (C + F) floats, 1.7 MiB for the cnn's
// second layer) in a 2 MiB L2 cache while each GEMM is still large enough to run near OpenBLAS's
// peak (measured in bench/conv_winograd_bench.cpp).
constexpr int64_t kChunk = 128;

// Fewer input channels than this keep im2col: Winograd's per-output-channel work (the output
// transform) then outweighs the multiply-adds it saves (bench/conv_winograd_bench.cpp: with C = 1
// or 4 and F = 32 it is slower, with C = 8 faster for F from 1 to 64).
constexpr int64_t kMinInputChannels = 8;

// Below this many multiply-adds (of the direct convolution) a call runs on the calling thread, as in
// conv2d_ref.cpp.
constexpr double kParallelMinMacs = 1 << 18;

std::string shape_str(const Conv2dShape& s) {
  std::ostringstream os;
  os << "x (" << s.n << "," << s.c << "," << s.h << "," << s.w << ") f=" << s.f << " k=" << s.kh
     << "x" << s.kw << " stride=" << s.stride << " pad=" << s.pad;
  return os.str();
}

// The forward convolution out (n,cout,oh,ow) of in (n,cin,h,w) as tiles: out[y][x] reads
// in[y - pad + i][x - pad + j], i, j in [0,3), zero outside the plane.
struct Tiling {
  int64_t n, cin, h, w, cout, pad, oh, ow;
  int64_t tiles_y() const { return (oh + kOut - 1) / kOut; }
  int64_t tiles_x() const { return (ow + kOut - 1) / kOut; }
  int64_t tiles() const { return n * tiles_y() * tiles_x(); }
  int64_t chunks() const { return (tiles() + kChunk - 1) / kChunk; }
};

Tiling forward_tiling(const Conv2dShape& s) {
  return {s.n, s.c, s.h, s.w, s.f, s.pad, s.oh(), s.ow()};
}

int64_t max_slots() {
  static const int64_t slots = std::max(1, omp_get_max_threads());
  return slots;
}

struct Layout {
  int64_t slots, u, v, m, stage, acc, dbp;
  int64_t slot_elems() const { return v + m + stage + acc + dbp; }
  int64_t total() const { return u + slots * slot_elems(); }
  float* u_ptr(float* ws) const { return ws; }
  float* v_ptr(float* ws, int64_t slot) const { return ws + u + slot * slot_elems(); }
  float* m_ptr(float* ws, int64_t slot) const { return v_ptr(ws, slot) + v; }
  float* stage_ptr(float* ws, int64_t slot) const { return m_ptr(ws, slot) + m; }
  float* acc_ptr(float* ws, int64_t slot) const { return stage_ptr(ws, slot) + stage; }
  float* db_ptr(float* ws, int64_t slot) const { return acc_ptr(ws, slot) + acc; }
};

// Every region is rounded up to 16 floats, so each starts 64-byte aligned (the workspace does).
int64_t round16(int64_t v) { return (v + 15) / 16 * 16; }

Layout layout(const Conv2dShape& s) {
  const int64_t cf = std::max(s.c, s.f);
  Layout l{};
  // Forward slots split the chunks, backward slots the images.
  l.slots = std::min(max_slots(), std::max(forward_tiling(s).chunks(), s.n));
  l.u = round16(kXi * s.f * s.c);
  l.v = round16(kXi * cf * kChunk);
  l.m = l.v;
  l.stage = round16(2 * kXi * std::max(kChunk, cf));
  l.acc = round16(kXi * s.f * s.c);
  l.dbp = round16(s.f);
  return l;
}

void check_supported(const Conv2dShape& s, const char* fn) {
  s.validate();
  GD_CHECK_SHAPE(conv2d_winograd_supported(s),
                 fn << ": Winograd F(4x4,3x3) needs a 3x3 kernel and stride 1: " << shape_str(s));
}

bool worth_parallel(const Conv2dShape& s) {
  return double(s.n) * s.f * s.oh() * s.ow() * s.c * kTaps >= kParallelMinMacs;
}

// U[xi][f][c] = (G g GT)[xi] for every kernel g = w[f][c]. stage: 27 * C floats.
void transform_kernels(const Conv2dShape& s, const float* w, float* U, float* stage) {
  const int64_t xs = s.f * s.c;  // stride between transform points in U
  float* g9 = stage;             // g9[k][c]: tap k = i*3 + j of kernel (f,c)
  float* t = stage + kTaps * s.c;  // t[i][b] = (g GT)[i][b]
  for (int64_t f = 0; f < s.f; ++f) {
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t k = 0; k < kTaps; ++k) g9[k * s.c + c] = w[(f * s.c + c) * kTaps + k];
    for (int64_t i = 0; i < kKernel; ++i)  // along j, one kernel row i at a time
      winograd::kernel_1d(g9 + i * kKernel * s.c, s.c, t + i * kTile * s.c, s.c, s.c);
    for (int64_t b = 0; b < kTile; ++b)  // along i
      winograd::kernel_1d(t + b * s.c, kTile * s.c, U + b * xs + f * s.c, kTile * xs, s.c);
  }
}

struct TileOrigin {
  int64_t img, oy, ox;  // image and top-left output pixel of the tile
};

void chunk_origins(const Tiling& g, int64_t t0, int64_t tc, TileOrigin* org) {
  const int64_t tx = g.tiles_x(), per_image = g.tiles_y() * tx;
  for (int64_t k = 0; k < tc; ++k) {
    const int64_t t = t0 + k, r = t % per_image;
    org[k] = {t / per_image, (r / tx) * kOut, (r % tx) * kOut};
  }
}

// V[xi] (rows at V + xi*v_stride, tc lanes) = (BT d B)[xi] for the 6x6 input patch d of every tile
// of the chunk, input channel c. stage: 72 * tc floats.
void transform_input_tiles(const Tiling& g, const float* in, int64_t c, const TileOrigin* org,
                           int64_t tc, float* V, int64_t v_stride, float* stage) {
  float* D = stage;             // D[i][j]: the patches
  float* E = stage + kXi * tc;  // E[i][b] = (d B)[i][b]
  const int64_t plane = g.h * g.w;
  for (int64_t k = 0; k < tc; ++k) {
    const int64_t y0 = org[k].oy - g.pad, x0 = org[k].ox - g.pad;
    const float* src = in + (org[k].img * g.cin + c) * plane;
    float* d = D + k;
    if (y0 >= 0 && x0 >= 0 && y0 + kTile <= g.h && x0 + kTile <= g.w) {
      const float* p = src + y0 * g.w + x0;
      for (int64_t i = 0; i < kTile; ++i)
        for (int64_t j = 0; j < kTile; ++j) d[(i * kTile + j) * tc] = p[i * g.w + j];
    } else {
      for (int64_t i = 0; i < kTile; ++i) {
        const int64_t y = y0 + i;
        const bool row_in = y >= 0 && y < g.h;
        for (int64_t j = 0; j < kTile; ++j) {
          const int64_t x = x0 + j;
          d[(i * kTile + j) * tc] = row_in && x >= 0 && x < g.w ? src[y * g.w + x] : 0.0f;
        }
      }
    }
  }
  for (int64_t i = 0; i < kTile; ++i)  // along j
    winograd::input_1d(D + i * kTile * tc, tc, E + i * kTile * tc, tc, tc);
  for (int64_t b = 0; b < kTile; ++b)  // along i
    winograd::input_1d(E + b * tc, kTile * tc, V + b * v_stride, kTile * v_stride, tc);
}

// out[img][f] tiles (clipped to oh, ow) = (AT m A) + bias for the 6x6 products m of every tile of
// the chunk, output channel f (rows at M + xi*m_stride, tc lanes). stage: 40 * tc floats.
void output_tiles(const Tiling& g, const float* M, int64_t m_stride, int64_t f, float bias,
                  const TileOrigin* org, int64_t tc, float* out, float* stage) {
  float* P = stage;                    // P[a][q] = (m A)[a][q]
  float* Y = stage + kTile * kOut * tc;  // Y[p][q]
  for (int64_t a = 0; a < kTile; ++a)  // along b
    winograd::output_1d(M + a * kTile * m_stride, m_stride, P + a * kOut * tc, tc, tc);
  for (int64_t q = 0; q < kOut; ++q)  // along a
    winograd::output_1d(P + q * tc, kOut * tc, Y + q * tc, kOut * tc, tc);
  for (int64_t k = 0; k < tc; ++k) {
    const TileOrigin& o = org[k];
    float* dst = out + ((o.img * g.cout + f) * g.oh + o.oy) * g.ow + o.ox;
    const int64_t ph = std::min<int64_t>(kOut, g.oh - o.oy), pw = std::min<int64_t>(kOut, g.ow - o.ox);
    if (ph == kOut && pw == kOut) {  // constant trip counts: unrolled
      for (int64_t p = 0; p < kOut; ++p)
        for (int64_t q = 0; q < kOut; ++q) dst[p * g.ow + q] = Y[(p * kOut + q) * tc + k] + bias;
    } else {
      for (int64_t p = 0; p < ph; ++p)
        for (int64_t q = 0; q < pw; ++q) dst[p * g.ow + q] = Y[(p * kOut + q) * tc + k] + bias;
    }
  }
}

// Z[xi] (rows at Z + xi*z_stride, tc lanes) = (A e AT)[xi] for the 4x4 tile e of dy (zero beyond
// oh, ow) of every tile of the chunk, output channel f. Returns the sum of those dy values (the
// chunk's share of db[f]). stage: 40 * tc floats.
float transform_grad_tiles(const Tiling& g, const float* dy, int64_t f, const TileOrigin* org,
                           int64_t tc, float* Z, int64_t z_stride, float* stage) {
  float* D = stage;                    // D[p][q]: the tiles
  float* E = stage + kOut * kOut * tc;  // E[p][b] = (e AT)[p][b]
  for (int64_t k = 0; k < tc; ++k) {
    const TileOrigin& o = org[k];
    const float* src = dy + ((o.img * g.cout + f) * g.oh + o.oy) * g.ow + o.ox;
    const int64_t ph = std::min<int64_t>(kOut, g.oh - o.oy), pw = std::min<int64_t>(kOut, g.ow - o.ox);
    if (ph == kOut && pw == kOut) {  // constant trip counts: unrolled
      for (int64_t p = 0; p < kOut; ++p)
        for (int64_t q = 0; q < kOut; ++q) D[(p * kOut + q) * tc + k] = src[p * g.ow + q];
    } else {
      for (int64_t p = 0; p < kOut; ++p)
        for (int64_t q = 0; q < kOut; ++q)
          D[(p * kOut + q) * tc + k] = p < ph && q < pw ? src[p * g.ow + q] : 0.0f;
    }
  }
  float sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < kOut * kOut * tc; ++i) sum += D[i];
  for (int64_t p = 0; p < kOut; ++p)  // along q
    winograd::output_adjoint_1d(D + p * kOut * tc, tc, E + p * kTile * tc, tc, tc);
  for (int64_t b = 0; b < kTile; ++b)  // along p
    winograd::output_adjoint_1d(E + b * tc, kTile * tc, Z + b * z_stride, kTile * z_stride, tc);
  return sum;
}

// dx[img][c] 6x6 input patch of every tile of the chunk (clipped to the plane) += (B n BT) for the
// 6x6 products n of input channel c (rows at N + xi*n_stride, tc lanes). stage: 72 * tc floats.
void add_input_gradient_tiles(const Tiling& g, const float* N, int64_t n_stride, int64_t c,
                              const TileOrigin* org, int64_t tc, float* dx, float* stage) {
  float* P = stage;             // P[a][j] = (n BT)[a][j]
  float* Q = stage + kXi * tc;  // Q[i][j]
  for (int64_t a = 0; a < kTile; ++a)  // along b
    winograd::input_adjoint_1d(N + a * kTile * n_stride, n_stride, P + a * kTile * tc, tc, tc);
  for (int64_t j = 0; j < kTile; ++j)  // along a
    winograd::input_adjoint_1d(P + j * tc, kTile * tc, Q + j * tc, kTile * tc, tc);
  const int64_t plane = g.h * g.w;
  for (int64_t k = 0; k < tc; ++k) {
    const int64_t y0 = org[k].oy - g.pad, x0 = org[k].ox - g.pad;
    float* dst = dx + (org[k].img * g.cin + c) * plane;
    const float* q = Q + k;
    if (y0 >= 0 && x0 >= 0 && y0 + kTile <= g.h && x0 + kTile <= g.w) {
      float* p = dst + y0 * g.w + x0;
      for (int64_t i = 0; i < kTile; ++i)
        for (int64_t j = 0; j < kTile; ++j) p[i * g.w + j] += q[(i * kTile + j) * tc];
    } else {
      const int64_t i0 = std::max<int64_t>(0, -y0), i1 = std::min<int64_t>(kTile, g.h - y0);
      const int64_t j0 = std::max<int64_t>(0, -x0), j1 = std::min<int64_t>(kTile, g.w - x0);
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = j0; j < j1; ++j) dst[(y0 + i) * g.w + x0 + j] += q[(i * kTile + j) * tc];
    }
  }
}

// The chunks [begin, end) of `slot` when `chunks` chunks are split over `slots` slots.
struct ChunkRange {
  int64_t begin, end;
};
ChunkRange slot_chunks(int64_t slot, int64_t slots, int64_t chunks) {
  return {slot * chunks / slots, (slot + 1) * chunks / slots};
}

// out (n,cout,oh,ow) = Winograd correlation of in with the transformed kernels U[36][cout][cin]
// (+ bias[f] when bias is not null). OVERWRITES out.
void correlate(const Tiling& g, const Layout& lay, const float* in, const float* U,
               const float* bias, float* out, float* ws, bool par) {
  const int64_t chunks = g.chunks(), slots = std::min(lay.slots, chunks), tiles = g.tiles();
#pragma omp parallel for schedule(static) if (par)
  for (int64_t slot = 0; slot < slots; ++slot) {
    float* V = lay.v_ptr(ws, slot);
    float* M = lay.m_ptr(ws, slot);
    float* stage = lay.stage_ptr(ws, slot);
    TileOrigin org[kChunk];
    const ChunkRange r = slot_chunks(slot, slots, chunks);
    for (int64_t ch = r.begin; ch < r.end; ++ch) {
      const int64_t t0 = ch * kChunk, tc = std::min(kChunk, tiles - t0);
      chunk_origins(g, t0, tc, org);
      for (int64_t c = 0; c < g.cin; ++c)
        transform_input_tiles(g, in, c, org, tc, V + c * tc, g.cin * tc, stage);
      // M_xi (cout, tc) = U_xi (cout, cin) * V_xi (cin, tc)
      for (int64_t xi = 0; xi < kXi; ++xi)
        gemm<float>(kNoTrans, kNoTrans, g.cout, tc, g.cin, 1.0f, U + xi * g.cout * g.cin, g.cin,
                    V + xi * g.cin * tc, tc, 0.0f, M + xi * g.cout * tc, tc);
      for (int64_t f = 0; f < g.cout; ++f)
        // Without a bias, -0.0f: the exact additive identity (v + -0.0f == v for every v, -0.0f
        // included), so the result equals a later `y += b` bit for bit (a fused epilogue).
        output_tiles(g, M + f * tc, g.cout * tc, f, bias ? bias[f] : -0.0f, org, tc, out, stage);
    }
  }
}

// dw (F,C,3,3) = GT [ sum over tiles of (A e AT) (.) (BT d B) ] G           OVERWRITES dw
// dx (N,C,H,W)   = sum over tiles of the patch B [ U^T (A e AT) ] BT           OVERWRITES dx, if dx
// db (F)         = sum of dy over n, oy, ox                                    OVERWRITES db, if db
// with U the transformed kernels (already in the workspace when dx is wanted).
void backward_tiles(const Conv2dShape& s, const Layout& lay, const float* x, const float* U,
                    const float* dy, float* dx, float* dw, float* db, float* ws, bool par) {
  const Tiling g = forward_tiling(s);
  const int64_t slots = std::min(lay.slots, s.n), per_image = g.tiles_y() * g.tiles_x();
  const int64_t acc_elems = kXi * s.f * s.c, plane = s.h * s.w;
#pragma omp parallel for schedule(static) if (par)
  for (int64_t slot = 0; slot < slots; ++slot) {
    float* V = lay.v_ptr(ws, slot);
    float* Z = lay.m_ptr(ws, slot);
    float* stage = lay.stage_ptr(ws, slot);
    float* acc = lay.acc_ptr(ws, slot);
    float* dbp = lay.db_ptr(ws, slot);
    TileOrigin org[kChunk];
    // This slot's images and hence tiles [t_begin, t_end).
    const int64_t t_begin = slot * s.n / slots * per_image, t_end = (slot + 1) * s.n / slots * per_image;
    for (int64_t t0 = t_begin; t0 < t_end; t0 += kChunk) {
      const int64_t tc = std::min(kChunk, t_end - t0);
      chunk_origins(g, t0, tc, org);
      for (int64_t c = 0; c < s.c; ++c)
        transform_input_tiles(g, x, c, org, tc, V + c * tc, s.c * tc, stage);
      const bool first = t0 == t_begin;  // the slot's first chunk overwrites its partial sums
      for (int64_t f = 0; f < s.f; ++f) {
        const float part = transform_grad_tiles(g, dy, f, org, tc, Z + f * tc, s.f * tc, stage);
        dbp[f] = first ? part : dbp[f] + part;
      }
      // acc_xi (F, C) (+)= Z_xi (F, tc) * V_xi^T (tc, C)
      const float beta = first ? 0.0f : 1.0f;
      for (int64_t xi = 0; xi < kXi; ++xi)
        gemm<float>(kNoTrans, kTrans, s.f, s.c, tc, 1.0f, Z + xi * s.f * tc, tc,
                    V + xi * s.c * tc, tc, beta, acc + xi * s.f * s.c, s.c);
      if (!dx) continue;
      // V_xi (C, tc) = U_xi^T (C, F) * Z_xi (F, tc): the dx products, over the no longer needed V.
      for (int64_t xi = 0; xi < kXi; ++xi)
        gemm<float>(kTrans, kNoTrans, s.c, tc, s.f, 1.0f, U + xi * s.f * s.c, s.c,
                    Z + xi * s.f * tc, tc, 0.0f, V + xi * s.c * tc, tc);
      for (int64_t k = 0; k < tc; ++k)  // an image's first tile: its dx starts from zero
        if (org[k].oy == 0 && org[k].ox == 0)
          std::fill(dx + org[k].img * s.c * plane, dx + (org[k].img + 1) * s.c * plane, 0.0f);
      for (int64_t c = 0; c < s.c; ++c)
        add_input_gradient_tiles(g, V + c * tc, s.c * tc, c, org, tc, dx, stage);
    }
  }
  // Sum the slot partials into slot 0's, in slot order (deterministic).
  if (db) {
    for (int64_t f = 0; f < s.f; ++f) {
      float a = lay.db_ptr(ws, 0)[f];
      for (int64_t slot = 1; slot < slots; ++slot) a += lay.db_ptr(ws, slot)[f];
      db[f] = a;
    }
  }
  float* sum = lay.acc_ptr(ws, 0);
#pragma omp parallel for schedule(static) if (par && slots > 1)
  for (int64_t e = 0; e < acc_elems; ++e) {
    float a = sum[e];
    for (int64_t slot = 1; slot < slots; ++slot) a += lay.acc_ptr(ws, slot)[e];
    sum[e] = a;
  }
  // Back to 3x3, one filter at a time with the C kernels as lanes.
  float* t = lay.stage_ptr(ws, 0);        // t[a][j] = (S G)[a][j]
  float* rr = t + kTile * kKernel * s.c;  // rr[i][j]
  const int64_t xs = s.f * s.c;
  for (int64_t f = 0; f < s.f; ++f) {
    for (int64_t a = 0; a < kTile; ++a)  // along b
      winograd::kernel_adjoint_1d(sum + a * kTile * xs + f * s.c, xs, t + a * kKernel * s.c, s.c, s.c);
    for (int64_t j = 0; j < kKernel; ++j)  // along a
      winograd::kernel_adjoint_1d(t + j * s.c, kKernel * s.c, rr + j * s.c, kKernel * s.c, s.c);
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t k = 0; k < kTaps; ++k) dw[(f * s.c + c) * kTaps + k] = rr[k * s.c + c];
  }
}

}  // namespace

bool conv2d_winograd_supported(const Conv2dShape& s) {
  return s.kh == kKernel && s.kw == kKernel && s.stride == 1;
}

bool conv2d_uses_winograd(const Conv2dShape& s) {
  s.validate();
  return conv2d_winograd_supported(s) && s.c >= kMinInputChannels;
}

size_t conv2d_winograd_workspace_elems(const Conv2dShape& s) {
  check_supported(s, "conv2d_winograd_workspace_elems");
  return static_cast<size_t>(layout(s).total());
}

void conv2d_forward_winograd(const Conv2dShape& s, const float* x, const float* w, const float* b,
                             float* y, float* workspace) {
  check_supported(s, "conv2d_forward_winograd");
  GD_CHECK(x && w && y && workspace, "conv2d_forward_winograd: null x, w, y or workspace");
  const Layout lay = layout(s);
  float* U = lay.u_ptr(workspace);
  transform_kernels(s, w, U, lay.stage_ptr(workspace, 0));
  correlate(forward_tiling(s), lay, x, U, b, y, workspace, worth_parallel(s));
}

void conv2d_backward_winograd(const Conv2dShape& s, const float* x, const float* w, const float* dy,
                              float* dx, float* dw, float* db, float* workspace) {
  check_supported(s, "conv2d_backward_winograd");
  GD_CHECK(x && w && dy && dw && workspace,
           "conv2d_backward_winograd: null x, w, dy, dw or workspace");
  const Layout lay = layout(s);
  const bool par = worth_parallel(s);
  float* U = lay.u_ptr(workspace);
  if (dx) transform_kernels(s, w, U, lay.stage_ptr(workspace, 0));
  backward_tiles(s, lay, x, U, dy, dx, dw, db, workspace, par);
}

}  // namespace gd
