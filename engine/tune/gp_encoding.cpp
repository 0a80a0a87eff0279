// Search-space configurations as GP inputs (gp_encoding.h).
#include "engine/tune/gp_encoding.h"

#include <algorithm>
#include <cmath>

namespace gd::tune {

GpEncoder::GpEncoder(const SearchSpace& space) {
  for (int d = 0; d < space.dims(); ++d) {
    const ParamSpec& p = space.params()[static_cast<size_t>(space.dim_params()[static_cast<size_t>(d)])];
    if (p.type == ParamType::Categorical) {
      cat_.push_back(d);
      levels_.push_back(static_cast<int>(p.choices.size()));
    } else {
      num_.push_back(d);
    }
  }
}

void GpEncoder::encode(const std::vector<double>& unit, double* x, int* c) const {
  for (size_t j = 0; j < num_.size(); ++j) {
    const double u = unit[static_cast<size_t>(num_[j])];
    x[j] = std::isnan(u) ? kInactiveNumeric : u;
  }
  for (size_t j = 0; j < cat_.size(); ++j) {
    const double u = unit[static_cast<size_t>(cat_[j])];
    const int k = levels_[j];
    c[j] = std::isnan(u) ? k : std::clamp(static_cast<int>(u * k), 0, k - 1);
  }
}

void GpEncoder::append(const std::vector<double>& unit, GpInputs& in) const {
  in.num_dims = num_dims();
  in.cat_dims = cat_dims();
  in.x.resize(in.x.size() + num_.size());
  in.c.resize(in.c.size() + cat_.size());
  encode(unit, in.x.data() + static_cast<size_t>(in.n) * num_.size(), in.c.data() + static_cast<size_t>(in.n) * cat_.size());
  ++in.n;
}

}  // namespace gd::tune
