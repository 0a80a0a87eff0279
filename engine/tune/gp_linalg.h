#pragma once
// The small dense linear algebra of the Gaussian process: Cholesky factorisation with jitter
// retries, triangular solves and the inverse of a symmetric positive definite matrix. Matrices are
// row-major double arrays, n x n with row stride n; "L" is lower triangular (the upper triangle is
// zero).
//
// Written out here, single-threaded, with cache-blocked loops the compiler vectorises (a blocked
// right-looking Cholesky whose trailing update is an outer product along contiguous rows; many
// right-hand sides solved 8 at a time against L^T), rather than through OpenBLAS: OpenBLAS has no
// Cholesky without LAPACK(E), and its OpenMP threading is unreliable for this use. Its Debian
// build (0.3.21) ignores the caller's omp_set_num_threads, so every level-3 call opens a 2-thread
// team; on a busy machine the caller then waits for the worker to be scheduled at each of the
// hundreds of small calls of a hyperparameter fit (measured: a suggestion with a refit took
// 875 ms of CPU and 2.8 s of wall time at load 6, against ~150 ms single-threaded).
// openblas_set_num_threads is no way out: it is process-wide, and lowering it frees the buffers of
// other threads' running calls (tuning workers train in other threads).
#include <vector>

namespace gd::tune {

// In-place lower Cholesky factor of the SPD matrix a (only the lower triangle is read); the upper
// triangle is zeroed. Returns false (a is then garbage) when a pivot is not positive and finite.
bool cholesky_in_place(double* a, int n);

// Cholesky of `a` (kept intact) into `l`, retrying with jitter * mean(diag(a)) added to the
// diagonal for jitter = 0, 1e-10, 1e-9, ..., 1e-4 (relative). Returns the relative jitter used,
// or a negative value when every attempt failed.
double cholesky_with_jitter(const std::vector<double>& a, int n, std::vector<double>& l);

// Solves L x = b in place (forward substitution).
void solve_lower(const double* l, int n, double* b);
// Solves L^T x = b in place (back substitution).
void solve_lower_transposed(const double* l, int n, double* b);
// Replaces each of the m rows b_j of B (m x n, row stride n) by L^{-1} b_j.
void solve_lower_rows(const double* l, int n, double* b, int m);
// (L L^T)^{-1} as a full symmetric n x n matrix.
void inverse_from_cholesky(const double* l, int n, double* out);

// sum_i a[i] * b[i] (vectorised; the order of the additions is not the sequential one).
double dot(const double* a, const double* b, int n);

}  // namespace gd::tune
