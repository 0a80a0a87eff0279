// CPU reference (and production CPU path) for batch normalisation over (N, C, S).
// Element (n, c, s) lives at x[(n*C + c)*S + s]. One OpenMP task per channel; every per-channel
// reduction runs in double inside one thread, so results do not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include "engine/core/error.h"
#include "engine/ops/batchnorm.h"

namespace gd {

namespace {

std::string bn_shape_str(const BatchNormShape& sh) {
  std::ostringstream os;
  os << "(N,C,S) = (" << sh.n << "," << sh.c << "," << sh.s << ")";
  return os.str();
}

// Sums over one channel's M = N*S elements of two terms f(i) = {a, b}, i the flat element index,
// in double. kAcc independent partial sums per term give enough vector accumulators to hide the
// latency of the double adds (a single accumulator makes the loop latency-bound).
struct Sums {
  double a, b;
};
template <typename F>
Sums channel_sums(const BatchNormShape& sh, int64_t c, F f) {
  constexpr int64_t kAcc = 16;
  double pa[kAcc] = {}, pb[kAcc] = {};
  Sums tail = {0.0, 0.0};
  const int64_t body = sh.s - sh.s % kAcc;
  for (int64_t n = 0; n < sh.n; ++n) {
    const int64_t base = (n * sh.c + c) * sh.s;
    for (int64_t s0 = 0; s0 < body; s0 += kAcc) {
#pragma omp simd
      for (int64_t l = 0; l < kAcc; ++l) {
        const Sums t = f(base + s0 + l);
        pa[l] += t.a;
        pb[l] += t.b;
      }
    }
    for (int64_t s = body; s < sh.s; ++s) {
      const Sums t = f(base + s);
      tail.a += t.a;
      tail.b += t.b;
    }
  }
  for (int64_t l = 0; l < kAcc; ++l) {
    tail.a += pa[l];
    tail.b += pb[l];
  }
  return tail;
}

struct Moments {
  double mean, var;  // var is the biased (1/M) batch variance
};

// Mean and biased variance of one channel in a single pass, from double sums of d = x - K and d^2,
// with K the channel's first value: var = E[d^2] - E[d]^2. Shifting by a sample keeps E[d]^2
// comparable to var, so the subtraction loses only a few of double's 53 bits (and for float inputs
// d and d^2 are exact in double), far below float resolution.
template <typename T>
Moments channel_moments(const BatchNormShape& sh, int64_t c, const T* x) {
  const double k = x[c * sh.s];
  const Sums s = channel_sums(sh, c, [x, k](int64_t i) {
    const double d = static_cast<double>(x[i]) - k;
    return Sums{d, d * d};
  });
  const double inv_m = 1.0 / static_cast<double>(sh.n * sh.s);
  const double shift = s.a * inv_m;
  return {k + shift, std::max(0.0, s.b * inv_m - shift * shift)};
}

// y(n, c, s) = (x(n, c, s) - mean) * scale + beta for one channel. Subtracting the mean first
// (rather than folding it into a shift) keeps float precision when |mean| >> std.
template <typename T>
void channel_normalise(const BatchNormShape& sh, int64_t c, const T* x, T mean, T scale, T beta, T* y) {
  for (int64_t n = 0; n < sh.n; ++n) {
    const int64_t off = (n * sh.c + c) * sh.s;
#pragma omp simd
    for (int64_t s = 0; s < sh.s; ++s) y[off + s] = (x[off + s] - mean) * scale + beta;
  }
}

// Below this many elements a parallel region costs more than the work.
constexpr int64_t kParallelMin = int64_t{1} << 14;

}  // namespace

void BatchNormShape::validate() const {
  GD_CHECK_SHAPE(n >= 1 && c >= 1 && s >= 1, "batchnorm: every extent must be >= 1: " << bn_shape_str(*this));
  GD_CHECK_T(eps > 0.0 && std::isfinite(eps), ConfigError, "batchnorm: eps = " << eps << " must be > 0");
  GD_CHECK_T(momentum >= 0.0 && momentum <= 1.0, ConfigError,
             "batchnorm: momentum = " << momentum << " must be in [0, 1]");
}

// x (N,C,S), gamma (C), beta (C) -> y (N,C,S), save_mean (C), save_invstd (C) (all OVERWRITTEN);
// running_mean (C), running_var (C) updated in place. Biased variance normalises; the unbiased one
// (times M/(M-1), M = N*S) enters running_var. Statistics in double (see channel_moments).
template <typename T>
void batchnorm_forward_train_ref(const BatchNormShape& sh, const T* x, const T* gamma, const T* beta,
                                 T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var) {
  sh.validate();
  const int64_t m = sh.n * sh.s;
  GD_CHECK_SHAPE(m >= 2, "batchnorm train mode needs at least 2 values per channel (N*S >= 2) but got "
                             << bn_shape_str(sh) << ": the unbiased batch variance is undefined");
  const double unbias = static_cast<double>(m) / static_cast<double>(m - 1);
#pragma omp parallel for schedule(static) if (sh.n * sh.c * sh.s >= kParallelMin)
  for (int64_t c = 0; c < sh.c; ++c) {
    const auto [mean, var] = channel_moments(sh, c, x);
    const double invstd = 1.0 / std::sqrt(var + sh.eps);
    const double scale = static_cast<double>(gamma[c]) * invstd;
    channel_normalise(sh, c, x, static_cast<T>(mean), static_cast<T>(scale), beta[c], y);
    save_mean[c] = static_cast<T>(mean);
    save_invstd[c] = static_cast<T>(invstd);
    running_mean[c] = static_cast<T>((1.0 - sh.momentum) * running_mean[c] + sh.momentum * mean);
    running_var[c] = static_cast<T>((1.0 - sh.momentum) * running_var[c] + sh.momentum * var * unbias);
  }
}

// x (N,C,S), gamma (C), beta (C), running_mean (C), running_var (C) -> y (N,C,S) (OVERWRITTEN).
template <typename T>
void batchnorm_forward_eval_ref(const BatchNormShape& sh, const T* x, const T* gamma, const T* beta,
                                const T* running_mean, const T* running_var, T* y) {
  sh.validate();
#pragma omp parallel for schedule(static) if (sh.n * sh.c * sh.s >= kParallelMin)
  for (int64_t c = 0; c < sh.c; ++c) {
    const double invstd = 1.0 / std::sqrt(static_cast<double>(running_var[c]) + sh.eps);
    const double scale = static_cast<double>(gamma[c]) * invstd;
    channel_normalise(sh, c, x, running_mean[c], static_cast<T>(scale), beta[c], y);
  }
}

// x (N,C,S), gamma (C), save_mean (C), save_invstd (C), dy (N,C,S) ->
//   dx (N,C,S), dgamma (C), dbeta (C), all OVERWRITTEN. With xhat = (x - mean) * invstd, M = N*S:
//   dbeta = sum dy, dgamma = sum dy*xhat, dx = gamma*invstd/M * (M*dy - dbeta - xhat*dgamma).
template <typename T>
void batchnorm_backward_ref(const BatchNormShape& sh, const T* x, const T* gamma, const T* save_mean,
                            const T* save_invstd, const T* dy, T* dx, T* dgamma, T* dbeta) {
  sh.validate();
  const double inv_m = 1.0 / static_cast<double>(sh.n * sh.s);
#pragma omp parallel for schedule(static) if (sh.n * sh.c * sh.s >= kParallelMin)
  for (int64_t c = 0; c < sh.c; ++c) {
    const double mean = save_mean[c], invstd = save_invstd[c];
    const Sums sums = channel_sums(sh, c, [x, dy, mean](int64_t i) {
      const double g = dy[i];
      return Sums{g, g * (static_cast<double>(x[i]) - mean)};
    });
    const double sum_dy = sums.a, sum_dy_xhat = sums.b * invstd;
    dbeta[c] = static_cast<T>(sum_dy);
    dgamma[c] = static_cast<T>(sum_dy_xhat);
    // dx = a*dy + b*(x - mean) + d, with a = gamma*invstd, b = -a*invstd*dgamma/M,
    // d = -a*dbeta/M; evaluated in T for a contiguous, vectorisable loop.
    const double a = static_cast<double>(gamma[c]) * invstd;
    const double b = -a * invstd * sum_dy_xhat * inv_m;
    const double d = -a * sum_dy * inv_m;
    const T at = static_cast<T>(a), bt = static_cast<T>(b), dt = static_cast<T>(d);
    const T mt = save_mean[c];
    for (int64_t n = 0; n < sh.n; ++n) {
      const int64_t off = (n * sh.c + c) * sh.s;
#pragma omp simd
      for (int64_t s = 0; s < sh.s; ++s) dx[off + s] = at * dy[off + s] + bt * (x[off + s] - mt) + dt;
    }
  }
}

#define GD_INSTANTIATE_BATCHNORM(T)                                                               \
  template void batchnorm_forward_train_ref<T>(const BatchNormShape&, const T*, const T*, const T*, \
                                               T*, T*, T*, T*, T*);                                \
  template void batchnorm_forward_eval_ref<T>(const BatchNormShape&, const T*, const T*, const T*,  \
                                              const T*, const T*, T*);                             \
  template void batchnorm_backward_ref<T>(const BatchNormShape&, const T*, const T*, const T*,      \
                                          const T*, const T*, T*, T*, T*);
GD_INSTANTIATE_BATCHNORM(float)
GD_INSTANTIATE_BATCHNORM(double)
#undef GD_INSTANTIATE_BATCHNORM

}  // namespace gd
