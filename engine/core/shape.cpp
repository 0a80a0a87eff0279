#include "engine/core/shape.h"

#include <sstream>

#include "engine/core/error.h"

namespace gd {

Shape::Shape(std::initializer_list<int64_t> dims) : Shape(std::vector<int64_t>(dims)) {}

Shape::Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {
  for (int64_t d : dims_) GD_CHECK_SHAPE(d >= 0, "negative extent " << d << " in shape");
}

int64_t Shape::operator[](int i) const {
  const int r = rank();
  const int j = i < 0 ? i + r : i;
  GD_CHECK_SHAPE(j >= 0 && j < r, "dimension " << i << " out of range for shape " << str());
  return dims_[j];
}

int64_t Shape::numel() const {
  int64_t n = 1;
  for (int64_t d : dims_) {
    GD_CHECK_SHAPE(!__builtin_mul_overflow(n, d, &n), "shape " << str() << " has more than 2^63 elements");
  }
  return n;
}

Shape Shape::with_batch(int64_t n) const {
  GD_CHECK_SHAPE(rank() >= 1, "with_batch on a scalar shape");
  std::vector<int64_t> d = dims_;
  d[0] = n;
  return Shape(d);
}

std::string Shape::str() const {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < dims_.size(); ++i) os << (i ? "," : "") << dims_[i];
  os << ")";
  return os.str();
}

}  // namespace gd
