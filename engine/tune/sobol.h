#pragma once
// Sobol low-discrepancy sequence in up to kMaxDims dimensions, with 32-bit direction numbers
// (points are multiples of 2^-32). Point i is the XOR of the direction numbers selected by the set
// bits of the Gray code of i, i.e. the usual Gray-code order of Antonov & Saleev, so the sequence
// matches the reference generator of Joe & Kuo (and torch.quasirandom.SobolEngine unscrambled):
// point 0 is the origin, point 1 is (0.5, ..., 0.5), and every block of 2^m consecutive points
// starting at a multiple of 2^m puts exactly one point in each interval [k/2^m, (k+1)/2^m) of
// every coordinate.
//
// Scrambling: a digital shift XORs every coordinate's 32-bit integer with a fixed random word per
// dimension; it keeps the net properties and makes the first point random instead of the origin.
#include <cstdint>
#include <vector>

namespace gd::tune {

class SobolSequence {
 public:
  // Direction numbers for dimensions 2..kMaxDims come from Joe & Kuo's table new-joe-kuo-6.21201
  // (S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better two-dimensional projections",
  // SIAM J. Sci. Comput. 30 (2008) 2635-2654; https://web.maths.unsw.edu.au/~fkuo/sobol/).
  static constexpr int kMaxDims = 53;

  // ConfigError when dims is not in [1, kMaxDims].
  explicit SobolSequence(int dims);

  int dims() const { return dims_; }
  // Point `index` (index < 2^32) in [0, 1)^dims; `shift` (size dims, or empty for none) is the
  // digital shift.
  std::vector<double> point(uint64_t index, const std::vector<uint32_t>& shift = {}) const;
  // The same as 32-bit integers (coordinate = value * 2^-32).
  std::vector<uint32_t> point_bits(uint64_t index) const;

 private:
  int dims_;
  std::vector<uint32_t> v_;  // direction numbers, dims x 32, v_[d * 32 + k] for bit k of the index
};

}  // namespace gd::tune
