// Dense Cholesky, triangular solves and SPD inverse for the GP (gp_linalg.h).
#include "engine/tune/gp_linalg.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>


namespace gd::tune {


double dot(const double* a, const double* b, int n) {
  double s = 0.0;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

namespace {

// Unblocked row-oriented Cholesky (Cholesky-Crout) of the kb x kb block at a (row stride lda):
// row i of L from the rows above it, every inner loop a contiguous dot product.
bool cholesky_unblocked(double* a, int kb, int lda) {
  for (int i = 0; i < kb; ++i) {
    double* li = a + static_cast<size_t>(i) * static_cast<size_t>(lda);
    for (int j = 0; j < i; ++j) {
      const double* lj = a + static_cast<size_t>(j) * static_cast<size_t>(lda);
      li[j] = (li[j] - dot(li, lj, j)) / lj[j];
    }
    const double d = li[i] - dot(li, li, i);
    if (!(d > 0.0) || !std::isfinite(d)) return false;
    li[i] = std::sqrt(d);
  }
  return true;
}

// panel (m x kb, stride lda) := panel * L^{-T}, L the kb x kb lower block at l (stride lda):
// each row by forward substitution (short dots, kb <= 64).
void panel_solve(const double* l, int kb, double* panel, int m, int lda) {
  for (int r = 0; r < m; ++r) {
    double* p = panel + static_cast<size_t>(r) * static_cast<size_t>(lda);
    for (int i = 0; i < kb; ++i) {
      const double* li = l + static_cast<size_t>(i) * static_cast<size_t>(lda);
      p[i] = (p[i] - dot(li, p, i)) / li[i];
    }
  }
}

// Lower triangle of c (m x m, stride lda) -= panel panel^T, panel m x kb (stride lda): the bulk of
// the Cholesky (n^3/6 multiply-adds). Outer-product form on the transposed panel, so the inner loop
// runs along a contiguous row of c (kept in L1) with no reduction, four panel columns at a time.
void trailing_update(const double* panel, int m, int kb, double* c, int lda) {
  const size_t sm = static_cast<size_t>(m);
  std::vector<double> pt(static_cast<size_t>(kb) * sm);  // panel^T, kb x m
  for (int i = 0; i < m; ++i) {
    for (int k = 0; k < kb; ++k) pt[static_cast<size_t>(k) * sm + static_cast<size_t>(i)] = panel[static_cast<size_t>(i) * static_cast<size_t>(lda) + static_cast<size_t>(k)];
  }
  for (int i = 0; i < m; ++i) {
    const double* pi = panel + static_cast<size_t>(i) * static_cast<size_t>(lda);
    double* ci = c + static_cast<size_t>(i) * static_cast<size_t>(lda);
    const int len = i + 1;
    int k = 0;
    for (; k + 4 <= kb; k += 4) {
      const double a0 = pi[k], a1 = pi[k + 1], a2 = pi[k + 2], a3 = pi[k + 3];
      const double* t0 = pt.data() + static_cast<size_t>(k) * sm;
      const double* t1 = t0 + sm;
      const double* t2 = t1 + sm;
      const double* t3 = t2 + sm;
#pragma omp simd
      for (int j = 0; j < len; ++j) ci[j] -= a0 * t0[j] + a1 * t1[j] + a2 * t2[j] + a3 * t3[j];
    }
    for (; k < kb; ++k) {
      const double a = pi[k];
      const double* t = pt.data() + static_cast<size_t>(k) * sm;
#pragma omp simd
      for (int j = 0; j < len; ++j) ci[j] -= a * t[j];
    }
  }
}

}  // namespace

bool cholesky_in_place(double* a, int n) {
  // Right-looking blocked Cholesky: factor a diagonal block, solve the panel below it, update the
  // trailing matrix.
  constexpr int kBlock = 64;
  const size_t sn = static_cast<size_t>(n);
  for (int k = 0; k < n; k += kBlock) {
    const int kb = std::min(kBlock, n - k);
    double* akk = a + static_cast<size_t>(k) * sn + static_cast<size_t>(k);
    if (!cholesky_unblocked(akk, kb, n)) return false;
    const int m = n - k - kb;
    if (m > 0) {
      double* panel = a + static_cast<size_t>(k + kb) * sn + static_cast<size_t>(k);
      panel_solve(akk, kb, panel, m, n);
      trailing_update(panel, m, kb, a + static_cast<size_t>(k + kb) * sn + static_cast<size_t>(k + kb), n);
    }
  }
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) a[static_cast<size_t>(i) * sn + static_cast<size_t>(j)] = 0.0;
  }
  return true;
}

double cholesky_with_jitter(const std::vector<double>& a, int n, std::vector<double>& l) {
  const size_t sn = static_cast<size_t>(n);
  double mean_diag = 0.0;
  for (int i = 0; i < n; ++i) mean_diag += a[static_cast<size_t>(i) * sn + static_cast<size_t>(i)];
  mean_diag = n > 0 ? std::fabs(mean_diag) / n : 1.0;
  if (!(mean_diag > 0.0)) mean_diag = 1.0;
  double jitter = 0.0;
  for (int attempt = 0; attempt <= 7; ++attempt) {
    l = a;
    if (jitter > 0.0) {
      for (int i = 0; i < n; ++i) l[static_cast<size_t>(i) * sn + static_cast<size_t>(i)] += jitter * mean_diag;
    }
    if (cholesky_in_place(l.data(), n)) return jitter;
    jitter = jitter == 0.0 ? 1e-10 : jitter * 10.0;
  }
  return -1.0;
}

void solve_lower(const double* l, int n, double* b) {
  for (int i = 0; i < n; ++i) {
    const double* li = l + static_cast<size_t>(i) * static_cast<size_t>(n);
    b[i] = (b[i] - dot(li, b, i)) / li[i];
  }
}

void solve_lower_transposed(const double* l, int n, double* b) {
  const size_t sn = static_cast<size_t>(n);
  // Column-oriented: once x_i is known, remove its contribution from the rows above.
  for (int i = n - 1; i >= 0; --i) {
    const double* li = l + static_cast<size_t>(i) * sn;
    b[i] /= li[i];
    const double xi = b[i];
#pragma omp simd
    for (int j = 0; j < i; ++j) b[j] -= li[j] * xi;
  }
}

void solve_lower_rows(const double* l, int n, double* b, int m) {
  if (n == 0 || m == 0) return;
  const size_t sn = static_cast<size_t>(n);
  // Column-oriented forward substitution on kRows right-hand sides at a time: once x_k is known,
  // subtract x_k * L[k+1.., k] from the rest of the row. Column k of L is row k of L^T
  // (contiguous), loaded once for the kRows rows, which stay in L1.
  std::vector<double> lt(sn * sn);
  for (int i = 0; i < n; ++i) {
    for (int k = 0; k <= i; ++k) lt[static_cast<size_t>(k) * sn + static_cast<size_t>(i)] = l[static_cast<size_t>(i) * sn + static_cast<size_t>(k)];
  }
  constexpr int kRows = 8;
  for (int r0 = 0; r0 < m; r0 += kRows) {
    const int rows = std::min(kRows, m - r0);
    int k = 0;
    // Four unknowns per pass: a 4 x 4 triangular solve, then one fused update of the rest.
    for (; k + 4 <= n; k += 4) {
      const double* t0 = lt.data() + static_cast<size_t>(k) * sn;
      const double* t1 = t0 + sn;
      const double* t2 = t1 + sn;
      const double* t3 = t2 + sn;
      for (int r = 0; r < rows; ++r) {
        double* br = b + static_cast<size_t>(r0 + r) * sn;
        const double x0 = br[k] / t0[k];
        const double x1 = (br[k + 1] - x0 * t0[k + 1]) / t1[k + 1];
        const double x2 = (br[k + 2] - x0 * t0[k + 2] - x1 * t1[k + 2]) / t2[k + 2];
        const double x3 = (br[k + 3] - x0 * t0[k + 3] - x1 * t1[k + 3] - x2 * t2[k + 3]) / t3[k + 3];
        br[k] = x0;
        br[k + 1] = x1;
        br[k + 2] = x2;
        br[k + 3] = x3;
#pragma omp simd
        for (int i = k + 4; i < n; ++i) br[i] -= x0 * t0[i] + x1 * t1[i] + x2 * t2[i] + x3 * t3[i];
      }
    }
    for (; k < n; ++k) {
      const double* tk = lt.data() + static_cast<size_t>(k) * sn;
      for (int r = 0; r < rows; ++r) {
        double* br = b + static_cast<size_t>(r0 + r) * sn;
        const double x = br[k] / tk[k];
        br[k] = x;
#pragma omp simd
        for (int i = k + 1; i < n; ++i) br[i] -= x * tk[i];
      }
    }
  }
}

void inverse_from_cholesky(const double* l, int n, double* out) {
  const size_t sn = static_cast<size_t>(n);
  // Linv (lower) by forward substitution on the identity, column by column stored as rows of
  // its transpose: t = Linv^T is upper triangular, row j of t = column j of Linv.
  std::vector<double> t(sn * sn, 0.0);
  std::vector<double> col(sn);
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < n; ++i) col[static_cast<size_t>(i)] = 0.0;
    col[static_cast<size_t>(j)] = 1.0;
    // Column j of Linv is zero above row j: solve from row j down.
    for (int i = j; i < n; ++i) {
      const double* li = l + static_cast<size_t>(i) * sn;
      double s = col[static_cast<size_t>(i)];
      s -= dot(li + j, col.data() + j, i - j);
      col[static_cast<size_t>(i)] = s / li[i];
    }
    for (int i = j; i < n; ++i) t[static_cast<size_t>(j) * sn + static_cast<size_t>(i)] = col[static_cast<size_t>(i)];
  }
  // K^{-1} = Linv^T Linv: entry (a, b) = sum_i Linv[i][a] Linv[i][b] = dot(row a of t, row b of t)
  // over i >= max(a, b).
  for (int a = 0; a < n; ++a) {
    const double* ta = t.data() + static_cast<size_t>(a) * sn;
    for (int b = 0; b <= a; ++b) {
      const double* tb = t.data() + static_cast<size_t>(b) * sn;
      const double v = dot(ta + a, tb + a, n - a);
      out[static_cast<size_t>(a) * sn + static_cast<size_t>(b)] = v;
      out[static_cast<size_t>(b) * sn + static_cast<size_t>(a)] = v;
    }
  }
}

}  // namespace gd::tune
