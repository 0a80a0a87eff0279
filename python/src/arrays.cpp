#include "arrays.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "engine/core/error.h"

namespace gd::py_bind {
namespace {

std::string shape_of(const py::array& a) {
  std::ostringstream os;
  os << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) os << (i ? ", " : "") << a.shape(i);
  os << (a.ndim() == 1 ? ",)" : ")");
  return os.str();
}

std::string dtype_of(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

// Fills d.images from x (N,H,W) or (N,1,H,W): uint8 as is, floats in [0,1] scaled by 255 and rounded.
void fill_images(const py::array& x, const char* what, Dataset& d) {
  GD_CHECK_T(x.ndim() == 3 || (x.ndim() == 4 && x.shape(1) == 1), ConfigError,
             what << " must have shape (N, H, W) or (N, 1, H, W) (grey images), got " << shape_of(x));
  const py::ssize_t n = x.shape(0), h = x.shape(x.ndim() - 2), w = x.shape(x.ndim() - 1);
  GD_CHECK_T(n > 0 && h > 0 && w > 0, ConfigError, what << " is empty: shape " << shape_of(x));
  d.n = n;
  d.channels = 1;
  d.height = h;
  d.width = w;
  d.images.resize(static_cast<size_t>(n * h * w));
  const auto kind = x.dtype().kind();
  if (x.dtype().is(py::dtype::of<uint8_t>())) {
    auto c = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(x);
    std::memcpy(d.images.data(), c.data(), d.images.size());
  } else if (kind == 'f') {
    auto c = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(x);
    const double* p = c.data();
    for (size_t i = 0; i < d.images.size(); ++i) {
      const double v = p[i];
      GD_CHECK_T(std::isfinite(v) && v >= 0.0 && v <= 1.0, ConfigError,
                 what << " (" << dtype_of(x) << ") must hold pixel intensities in [0, 1] (as after x / 255.0); "
                      << "element " << i << " of the flattened array is " << v);
      d.images[i] = static_cast<uint8_t>(std::lround(v * 255.0));
    }
  } else if (kind == 'i' || kind == 'u') {
    auto c = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(x);
    const int64_t* p = c.data();
    for (size_t i = 0; i < d.images.size(); ++i) {
      GD_CHECK_T(p[i] >= 0 && p[i] <= 255, ConfigError,
                 what << " (" << dtype_of(x) << ") must hold pixel values 0..255; element " << i << " is " << p[i]);
      d.images[i] = static_cast<uint8_t>(p[i]);
    }
  } else {
    throw ConfigError(std::string(what) + " must be uint8 (0..255) or float (0..1) images, got dtype " + dtype_of(x));
  }
}

}  // namespace

Dataset images_to_dataset(const py::array& x, const char* what, int num_classes) {
  Dataset d;
  d.name = what;
  fill_images(x, what, d);
  d.num_classes = num_classes;
  d.labels.assign(static_cast<size_t>(d.n), 0);
  return d;
}

Dataset labelled_dataset(const py::array& x, const py::array& y, const char* x_name, const char* y_name,
                         int num_classes) {
  Dataset d;
  d.name = x_name;
  fill_images(x, x_name, d);
  const auto kind = y.dtype().kind();
  GD_CHECK_T(kind == 'i' || kind == 'u', ConfigError,
             y_name << " must hold integer class labels, got dtype " << dtype_of(y));
  GD_CHECK_T(y.ndim() == 1 && y.shape(0) == d.n, ConfigError,
             y_name << " must have shape (" << d.n << ",) to match " << x_name << ", got " << shape_of(y));
  auto c = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(y);
  const int64_t* p = c.data();
  int64_t max_label = 0;
  for (int64_t i = 0; i < d.n; ++i) {
    GD_CHECK_T(p[i] >= 0 && p[i] < 256, ConfigError,
               y_name << " must hold labels 0..255; element " << i << " is " << p[i]);
    max_label = std::max(max_label, p[i]);
  }
  d.num_classes = num_classes > 0 ? num_classes : static_cast<int>(std::max<int64_t>(max_label + 1, 2));
  GD_CHECK_T(max_label < d.num_classes, ConfigError,
             y_name << " has label " << max_label << " but the model predicts " << d.num_classes << " classes");
  d.labels.resize(static_cast<size_t>(d.n));
  for (int64_t i = 0; i < d.n; ++i) d.labels[static_cast<size_t>(i)] = static_cast<uint8_t>(p[i]);
  d.validate();
  return d;
}

py::array_t<uint8_t> dataset_images(const Dataset& d) {
  GD_CHECK_T(d.channels == 1, DataError, "dataset " << d.name << " has " << d.channels << " channels; expected grey images");
  py::array_t<uint8_t> out({static_cast<py::ssize_t>(d.n), static_cast<py::ssize_t>(d.height),
                            static_cast<py::ssize_t>(d.width)});
  std::memcpy(out.mutable_data(), d.images.data(), d.images.size());
  return out;
}

py::array_t<int64_t> dataset_labels(const Dataset& d) {
  py::array_t<int64_t> out(static_cast<py::ssize_t>(d.n));
  int64_t* p = out.mutable_data();
  for (int64_t i = 0; i < d.n; ++i) p[i] = d.labels[static_cast<size_t>(i)];
  return out;
}

}  // namespace gd::py_bind
