#pragma once
// How the GP sampler turns a configuration of a search space into GP inputs (gp_kernel.h):
//   * float and int parameters -> numeric columns holding their unit coordinate (param_spec.h:
//     log-scaled where the space says log, an int as its level's representative, so a rounded
//     integer and its continuous relaxation share one axis); an inactive one is imputed 0.5;
//   * categorical parameters -> categorical columns holding the choice index; an inactive one
//     gets the extra level num_choices (so "absent" is a category of its own);
//   * fixed parameters -> nothing.
#include <vector>

#include "engine/tune/gp_kernel.h"
#include "engine/tune/search_space.h"

namespace gd::tune {

class GpEncoder {
 public:
  static constexpr double kInactiveNumeric = 0.5;

  explicit GpEncoder(const SearchSpace& space);

  int num_dims() const { return static_cast<int>(num_.size()); }
  int cat_dims() const { return static_cast<int>(cat_.size()); }
  // Space dimension (index into the unit vector) of numeric column j / categorical column j.
  int numeric_dim(int j) const { return num_[static_cast<size_t>(j)]; }
  int categorical_dim(int j) const { return cat_[static_cast<size_t>(j)]; }

  // Encodes a unit vector from SearchSpace::to_unit (NaN = inactive) into one input row.
  void encode(const std::vector<double>& unit, double* x, int* c) const;
  // Appends the encoded unit vector as a new row of `in`.
  void append(const std::vector<double>& unit, GpInputs& in) const;

 private:
  std::vector<int> num_, cat_, levels_;
};

}  // namespace gd::tune
