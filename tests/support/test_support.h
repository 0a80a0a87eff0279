#pragma once
// Shared helpers for the test suite: seeded random tensors, tolerance rules, finite-difference
// gradient checks in double precision, temp directories.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace gd::test {

// Uniform values in [lo, hi) from a fixed seed.
std::vector<double> random_vector(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0);
std::vector<float> to_float(const std::vector<double>& v);
std::vector<double> widen(const std::vector<float>& v);
// n uniform floats in [-1, 1) from a fixed seed (random_vector rounded once to float).
std::vector<float> random_floats(int64_t n, uint64_t seed);
// Every element written and finite (expect_float_close alone would not see a NaN) and not all zeros.
void expect_finite_nonzero(const std::vector<float>& v, const char* what);

// Central finite-difference check of a scalar function L(params) against an analytic gradient.
// f evaluates L at the current values of `x`; `analytic` is dL/dx. Returns the largest relative error
// max |a - fd| / max(1, |a|, |fd|). Points for which `skip(i)` returns true (non-differentiable
// kinks) are not checked.
double max_gradient_error(std::vector<double>& x, const std::function<double()>& f,
                          const std::vector<double>& analytic, double h = 1e-6,
                          const std::function<bool(size_t)>& skip = nullptr);

// Tolerance for comparing a float result against a double reference when each output is a sum
// over `reduction_length` products of O(1) values: float rounding grows like sqrt(len) * eps_f32
// for random signs; we allow a safety factor of 8 and a floor for tiny reductions.
double float_tolerance(int64_t reduction_length);

// Outputs and workspaces pre-filled with NaN: every output must be overwritten and an op must not
// read workspace it has not written.
template <typename T>
std::vector<T> nans(size_t n) {
  return std::vector<T>(n, std::numeric_limits<T>::quiet_NaN());
}

// Worst-case rounding bound when two double implementations each sum L+1 terms of magnitude <= 1
// (inputs in [-1, 1]): |error| <= (L+1) * eps * sum|terms| <= (L+1)^2 * eps for each.
double double_bound(int64_t reduction_length);

// Element-wise |got - want| <= tol (gtest assertion naming `what` and the index).
void expect_close(const std::vector<double>& got, const std::vector<double>& want, double tol,
                  const char* what);

// A float result against a double reference of reduction length `len`. Float rounding comes from
// partial sums the size of a typical output, not of the output at hand (which may be near zero by
// cancellation), so the tolerance float_tolerance(len) is scaled by max(1, rms(want)).
void expect_float_close(const std::vector<float>& got, const std::vector<double>& want, int64_t len,
                        const char* what);

// A fresh empty directory under the build tree's tmp/, removed when the returned object dies.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Root of the shared MNIST/USPS data (../shared/data), or "" when absent on this machine.
std::string shared_data_root();

}  // namespace gd::test
