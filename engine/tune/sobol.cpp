// Sobol sequence generator (sobol.h): direction numbers from Joe & Kuo's primitive polynomials and
// initial values, points by XOR over the Gray code of the index.
#include "engine/tune/sobol.h"

#include <string>

#include "engine/core/error.h"

namespace gd::tune {

namespace {

// One row of Joe & Kuo's table new-joe-kuo-6.21201 for dimensions 2..53 (dimension 1 is the van
// der Corput sequence, all m = 1): s = degree of the primitive polynomial, a = its interior
// coefficients as a bit string, m = the s initial direction numbers (odd, m_k < 2^k).
// Source: S. Joe and F. Y. Kuo, https://web.maths.unsw.edu.au/~fkuo/sobol/new-joe-kuo-6.21201
// (see the header for the paper).
struct JoeKuoRow {
  int s;
  uint32_t a;
  uint32_t m[8];
};

constexpr JoeKuoRow kJoeKuo[] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
    {6, 1, {1, 3, 3, 9, 7, 49}},
    {6, 13, {1, 1, 1, 15, 21, 21}},
    {6, 16, {1, 3, 1, 13, 27, 49}},
    {6, 19, {1, 1, 1, 15, 7, 5}},
    {6, 22, {1, 3, 1, 15, 13, 25}},
    {6, 25, {1, 1, 5, 5, 19, 61}},
    {7, 1, {1, 3, 7, 11, 23, 15, 103}},
    {7, 4, {1, 3, 7, 13, 13, 15, 69}},
    {7, 7, {1, 1, 3, 13, 7, 35, 63}},
    {7, 8, {1, 3, 5, 9, 1, 25, 53}},
    {7, 14, {1, 3, 1, 13, 9, 35, 107}},
    {7, 19, {1, 3, 1, 5, 27, 61, 31}},
    {7, 21, {1, 1, 5, 11, 19, 41, 61}},
    {7, 28, {1, 3, 5, 3, 3, 13, 69}},
    {7, 31, {1, 1, 7, 13, 1, 19, 1}},
    {7, 32, {1, 3, 7, 5, 13, 19, 59}},
    {7, 37, {1, 1, 3, 9, 25, 29, 41}},
    {7, 41, {1, 3, 5, 13, 23, 1, 55}},
    {7, 42, {1, 3, 7, 3, 13, 59, 17}},
    {7, 50, {1, 3, 1, 3, 5, 53, 69}},
    {7, 55, {1, 1, 5, 5, 23, 33, 13}},
    {7, 56, {1, 1, 7, 7, 1, 61, 123}},
    {7, 59, {1, 1, 7, 9, 13, 61, 49}},
    {7, 62, {1, 3, 3, 5, 3, 55, 33}},
    {8, 14, {1, 3, 1, 15, 31, 13, 49, 245}},
    {8, 21, {1, 3, 5, 15, 31, 59, 63, 97}},
    {8, 22, {1, 3, 1, 11, 11, 11, 77, 249}},
    {8, 38, {1, 3, 1, 11, 27, 43, 71, 9}},
    {8, 47, {1, 1, 7, 15, 21, 11, 81, 45}},
    {8, 49, {1, 3, 7, 3, 25, 31, 65, 79}},
    {8, 50, {1, 3, 1, 1, 19, 11, 3, 205}},
    {8, 52, {1, 1, 5, 9, 19, 21, 29, 157}},
    {8, 56, {1, 3, 7, 11, 1, 33, 89, 185}},
    {8, 67, {1, 3, 3, 3, 15, 9, 79, 71}},
    {8, 70, {1, 3, 7, 11, 15, 39, 119, 27}},
    {8, 84, {1, 1, 3, 1, 11, 31, 97, 225}},
    {8, 97, {1, 1, 1, 3, 23, 43, 57, 177}},
    {8, 103, {1, 3, 7, 7, 17, 17, 37, 71}},
    {8, 115, {1, 3, 1, 5, 27, 63, 123, 213}},
    {8, 122, {1, 1, 3, 5, 11, 43, 53, 133}},
};
static_assert(sizeof(kJoeKuo) / sizeof(kJoeKuo[0]) == SobolSequence::kMaxDims - 1,
              "one table row per dimension after the first");

constexpr int kBits = 32;

}  // namespace

SobolSequence::SobolSequence(int dims) : dims_(dims) {
  if (dims < 1 || dims > kMaxDims) {
    throw ConfigError("Sobol sequence: " + std::to_string(dims) + " dimensions requested; supported: 1 to " +
                      std::to_string(kMaxDims));
  }
  v_.assign(static_cast<size_t>(dims) * kBits, 0u);
  // Dimension 1: v_k = 2^(31-k) (m_k = 1).
  for (int k = 0; k < kBits; ++k) v_[k] = 1u << (kBits - 1 - k);
  for (int d = 1; d < dims; ++d) {
    const JoeKuoRow& row = kJoeKuo[d - 1];
    uint32_t* v = &v_[static_cast<size_t>(d) * kBits];
    for (int k = 0; k < row.s; ++k) v[k] = row.m[k] << (kBits - 1 - k);
    // Recurrence (Bratley & Fox): v_k = a_1 v_{k-1} ^ ... ^ a_{s-1} v_{k-s+1} ^ v_{k-s} ^ (v_{k-s} >> s),
    // with a_j the bits of `a` from the most significant of its s-1 bits.
    for (int k = row.s; k < kBits; ++k) {
      uint32_t x = v[k - row.s] ^ (v[k - row.s] >> row.s);
      for (int j = 1; j < row.s; ++j) {
        if ((row.a >> (row.s - 1 - j)) & 1u) x ^= v[k - j];
      }
      v[k] = x;
    }
  }
}

std::vector<uint32_t> SobolSequence::point_bits(uint64_t index) const {
  GD_CHECK(index < (uint64_t{1} << kBits), "Sobol sequence: index " << index << " >= 2^32");
  const uint64_t gray = index ^ (index >> 1);
  std::vector<uint32_t> x(static_cast<size_t>(dims_), 0u);
  for (int k = 0; k < kBits; ++k) {
    if (!((gray >> k) & 1u)) continue;
    for (int d = 0; d < dims_; ++d) x[static_cast<size_t>(d)] ^= v_[static_cast<size_t>(d) * kBits + k];
  }
  return x;
}

std::vector<double> SobolSequence::point(uint64_t index, const std::vector<uint32_t>& shift) const {
  GD_CHECK(shift.empty() || shift.size() == static_cast<size_t>(dims_),
           "Sobol sequence: digital shift of size " << shift.size() << " for " << dims_ << " dimensions");
  const std::vector<uint32_t> bits = point_bits(index);
  std::vector<double> u(bits.size());
  for (size_t d = 0; d < bits.size(); ++d) {
    const uint32_t b = shift.empty() ? bits[d] : bits[d] ^ shift[d];
    u[d] = static_cast<double>(b) * 0x1.0p-32;
  }
  return u;
}

}  // namespace gd::tune
