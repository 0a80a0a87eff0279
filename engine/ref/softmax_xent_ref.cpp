// CPU reference (and production CPU path) for fused softmax cross-entropy and plain softmax.
// One OpenMP task per row; per-row losses are summed serially in row order afterwards, so the mean
// loss is bit-identical for any thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "engine/core/error.h"
#include "engine/ops/softmax_xent.h"

namespace gd {

namespace {

constexpr int64_t kParallelMinElems = int64_t{1} << 12;

// Row statistics for a stable softmax, in double: max (from -INFINITY), first argmax, and
// sum = sum_c exp(x_c - max), with ex[c] = exp(x_c - max) kept for the probabilities. Then
// p_c = ex[c] / sum and log p_c = (x_c - max) - log(sum): working relative to the max keeps full
// precision even at logits ~1e3 (x_c - max is exact there, x_c - log_z would lose low bits).
struct RowStats {
  double max;
  int64_t argmax;
  double sum;
  double log_sum;
};

// row (C) -> ex (C) (OVERWRITTEN), statistics.
template <typename T>
RowStats row_stats(int64_t c, const T* row, double* ex) {
  double mx = -INFINITY;
  int64_t arg = 0;
  for (int64_t j = 0; j < c; ++j) {
    if (static_cast<double>(row[j]) > mx) {
      mx = row[j];
      arg = j;
    }
  }
  double sum = 0.0;
  for (int64_t j = 0; j < c; ++j) {
    ex[j] = std::exp(static_cast<double>(row[j]) - mx);
    sum += ex[j];
  }
  return {mx, arg, sum, std::log(sum)};
}

template <typename T>
bool row_finite(int64_t c, const T* row) {
  bool ok = true;
  for (int64_t j = 0; j < c; ++j) ok &= std::isfinite(row[j]);
  return ok;
}

}  // namespace

void SoftmaxXentShape::validate() const {
  GD_CHECK_SHAPE(n >= 1 && c >= 1, "softmax_xent: logits shape (" << n << "," << c << ") must have N >= 1 and C >= 1");
  GD_CHECK_T(label_smoothing >= 0.0 && label_smoothing < 1.0, ConfigError,
             "softmax_xent: label_smoothing = " << label_smoothing << " is outside [0, 1)");
}

// logits (N,C), labels (N) -> loss_per_sample (N) (OVERWRITTEN, nullable), dlogits (N,C)
// (OVERWRITTEN, nullable), *correct (OVERWRITTEN, nullable); returns the mean loss.
// With eps = label_smoothing and p = softmax(logits):
//   loss_n = -(1-eps)*log p[label] - eps/C * sum_c log p_c
//   dlogits[n,c] = (p_c - (1-eps)*[c == label] - eps/C) / N
template <typename T>
double softmax_xent_forward_backward_ref(const SoftmaxXentShape& s, const T* logits,
                                         const int32_t* labels, T* loss_per_sample, T* dlogits,
                                         int64_t* correct) {
  s.validate();
  const int64_t N = s.n, C = s.c;
  for (int64_t i = 0; i < N; ++i) {
    GD_CHECK_T(labels[i] >= 0 && labels[i] < C, DataError,
               "softmax_xent: label " << labels[i] << " of row " << i << " is outside [0, " << C << ")");
  }
  const double eps = s.label_smoothing;
  const double off_target = eps / static_cast<double>(C);
  const double inv_n = 1.0 / static_cast<double>(N);
  std::vector<double> row_loss(static_cast<size_t>(N));
  int64_t bad_row = N;  // first row holding a NaN/inf (exceptions cannot leave the omp region)
  int64_t hits = 0;
#pragma omp parallel if (N * C >= kParallelMinElems)
  {
    std::vector<double> ex(static_cast<size_t>(C));  // per-thread exp(x - max) of one row
#pragma omp for schedule(static) reduction(min : bad_row) reduction(+ : hits)
    for (int64_t i = 0; i < N; ++i) {
      const T* row = logits + i * C;
      if (!row_finite(C, row)) {
        bad_row = std::min(bad_row, i);
        continue;
      }
      const RowStats st = row_stats(C, row, ex.data());
      const int32_t label = labels[i];
      hits += st.argmax == label;
      double sum_logp = 0.0;
      for (int64_t j = 0; j < C; ++j) sum_logp += (static_cast<double>(row[j]) - st.max) - st.log_sum;
      const double logp_label = (static_cast<double>(row[label]) - st.max) - st.log_sum;
      row_loss[i] = -(1.0 - eps) * logp_label - off_target * sum_logp;
      if (dlogits) {
        T* g = dlogits + i * C;
        const double inv_sum = 1.0 / st.sum;
        for (int64_t j = 0; j < C; ++j) {
          const double target = (j == label ? 1.0 - eps : 0.0) + off_target;
          g[j] = static_cast<T>((ex[j] * inv_sum - target) * inv_n);
        }
      }
    }
  }
  if (bad_row < N) {
    const T* row = logits + bad_row * C;
    int64_t j = 0;
    while (j < C && std::isfinite(row[j])) ++j;
    GD_CHECK_T(false, NumericError,
               "softmax_xent: non-finite logit " << row[j] << " in row " << bad_row << " (column " << j
                                                 << ") of logits (" << N << "," << C << ")");
  }
  double total = 0.0;
  for (int64_t i = 0; i < N; ++i) {
    total += row_loss[i];
    if (loss_per_sample) loss_per_sample[i] = static_cast<T>(row_loss[i]);
  }
  if (correct) *correct = hits;
  return total * inv_n;
}

// logits (N,C) -> probs (N,C) (OVERWRITTEN). Non-finite logits propagate (NaN rows).
template <typename T>
void softmax_ref(int64_t n, int64_t c, const T* logits, T* probs) {
  GD_CHECK_SHAPE(n >= 0 && c >= 1, "softmax: logits shape (" << n << "," << c << ") must have N >= 0 and C >= 1");
#pragma omp parallel if (n * c >= kParallelMinElems)
  {
    std::vector<double> ex(static_cast<size_t>(c));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const RowStats st = row_stats(c, logits + i * c, ex.data());
      const double inv_sum = 1.0 / st.sum;
      for (int64_t j = 0; j < c; ++j) probs[i * c + j] = static_cast<T>(ex[j] * inv_sum);
    }
  }
}

#define GD_INSTANTIATE_SOFTMAX_XENT(T)                                                          \
  template double softmax_xent_forward_backward_ref<T>(const SoftmaxXentShape&, const T*,       \
                                                       const int32_t*, T*, T*, int64_t*);       \
  template void softmax_ref<T>(int64_t, int64_t, const T*, T*);
GD_INSTANTIATE_SOFTMAX_XENT(float)
GD_INSTANTIATE_SOFTMAX_XENT(double)
#undef GD_INSTANTIATE_SOFTMAX_XENT

}  // namespace gd
