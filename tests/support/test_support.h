#pragma once
// Shared helpers for the test suite: seeded random tensors, tolerance rules, finite-difference
// gradient checks in double precision, temp directories.
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace gd::test {

// Uniform values in [lo, hi) from a fixed seed.
std::vector<double> random_vector(size_t n, uint64_t seed, double lo = -1.0, double hi = 1.0);
std::vector<float> to_float(const std::vector<double>& v);

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
