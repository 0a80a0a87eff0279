#pragma once
// A tensor shape: a short list of non-negative extents, row-major (last dimension contiguous).
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace gd {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims);
  explicit Shape(std::vector<int64_t> dims);

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int i) const;  // negative i counts from the end; throws when out of range
  int64_t numel() const;
  const std::vector<int64_t>& dims() const { return dims_; }
  // The same shape with the leading (batch) dimension replaced.
  Shape with_batch(int64_t n) const;
  std::string str() const;  // "(N,C,H,W)" style, e.g. "(128,1,28,28)"

  bool operator==(const Shape& o) const { return dims_ == o.dims_; }
  bool operator!=(const Shape& o) const { return dims_ != o.dims_; }

 private:
  std::vector<int64_t> dims_;
};

}  // namespace gd
