// The compiled half of the Python package gpudigits (python/gpudigits/ is the other half): datasets
// as NumPy arrays, training, trained models, reports. Engine errors become Python exceptions:
// ConfigError and ShapeError -> ValueError, DataError -> gpudigits.DataError (a ValueError),
// NumericError -> FloatingPointError, any other engine error -> RuntimeError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "arrays.h"
#include "backend_choice.h"
#include "engine/backend/backend.h"
#include "engine/core/error.h"
#include "engine/data/registry.h"
#include "engine/model/spec.h"
#include "engine/report/eval_report.h"
#include "engine/report/model_evaluation.h"
#include "model.h"
#include "train.h"
#include "tune.h"

namespace py = pybind11;

namespace gd::py_bind {

std::unique_ptr<Backend> make_backend_for(const std::string& device) {
  std::string notice;
  auto be = make_backend(parse_device_request(device), &notice);
  static bool warned = false;  // the notice ("no usable CUDA device ...; training on the CPU") once per process
  if (!notice.empty() && !warned) {
    warned = true;
    py::gil_scoped_acquire gil;
    PyErr_WarnEx(PyExc_RuntimeWarning, notice.c_str(), 2);
  }
  return be;
}

namespace {

py::dict load_dataset_arrays(const std::string& name, const std::string& data_dir, bool download) {
  DataOptions o;
  o.dataset = name;
  o.data_dir = data_dir;
  o.allow_download = download;
  DatasetSplits s;
  {
    py::gil_scoped_release release;
    s = load_dataset(o);
  }
  py::dict d;
  d["x_train"] = dataset_images(s.train);
  d["y_train"] = dataset_labels(s.train);
  d["x_test"] = dataset_images(s.test);
  d["y_test"] = dataset_labels(s.test);
  d["class_names"] = s.train.class_names;
  d["source"] = s.source;
  return d;
}

// The HTML report gpu_eval --report writes, for a model held in Python and labelled arrays.
std::string write_report(Model& m, const py::array& x, const py::array& y, const std::string& path,
                         const std::string& title, int gallery) {
  Dataset samples = labelled_dataset(x, y, "x", "y", m.num_classes());
  samples.class_names = m.class_names();
  py::gil_scoped_release release;
  const report::EvaluatedModel e = report::evaluate_model(m.checkpoint(), m.origin(), m.backend(), samples, 256);
  report::EvalReportInputs in;
  in.title = title;
  in.checkpoint = m.origin();
  in.dataset = "NumPy arrays";
  in.split = "given";
  in.data_source = "Python";
  in.device = m.device();
  in.model = &e.summary;
  in.eval = &e.eval;
  in.predictions = &e.predictions;
  in.samples = &samples;
  in.gallery_limit = gallery;
  report::build_evaluation_report(in).write(path);
  return path;
}

// Checks a named architecture or spec string before any data is seen: it must build for 28x28 or
// 16x16 grey images (ConfigError naming the bad token otherwise). The class count is checked by fit.
std::string check_arch(const std::string& arch) {
  const std::string spec = resolve_arch(arch, 10, 0.5);
  std::string first_error;
  for (int64_t side : {28, 16}) {
    try {
      build_layers(spec, Shape{1, side, side}, 10, 0.5);
      return spec;
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      if (what.find("one output per class") != std::string::npos) return spec;
      if (first_error.empty()) first_error = what;
    } catch (const ShapeError& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  throw ConfigError(first_error);
}

}  // namespace
}  // namespace gd::py_bind

PYBIND11_MODULE(_core, m) {
  using namespace gd::py_bind;
  m.doc() = "gpudigits engine bindings (use the gpudigits package, not this module)";
  static py::exception<gd::DataError> data_error(m, "DataError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const gd::DataError& e) {
      data_error(e.what());
    } catch (const gd::ConfigError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const gd::ShapeError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const gd::NumericError& e) {
      PyErr_SetString(PyExc_FloatingPointError, e.what());
    } catch (const gd::Error& e) {
      PyErr_SetString(PyExc_RuntimeError, e.what());
    }
  });

  m.def("dataset_names", &gd::dataset_names, "Names load_dataset accepts.");
  m.def("load_dataset", &load_dataset_arrays, py::arg("name"), py::arg("data_dir") = "", py::arg("download") = true,
        "Train and test arrays of a named dataset, from the same loaders, cache and checksums as gpu_train.");
  m.def("train", &train_from_python, py::arg("config_json"), py::arg("x"), py::arg("y"), py::arg("x_val"),
        py::arg("y_val"), py::arg("on_batch"), py::arg("on_epoch"), py::arg("on_message"));
  m.def("check_arch", &check_arch, py::arg("arch"),
        "The spec string of a named architecture or spec string; ValueError naming the bad token when it does "
        "not build.");

  py::class_<Model>(m, "Model")
      .def(py::init<const std::string&, const std::string&, int64_t, const std::string&>(), py::arg("path"),
           py::arg("device") = "auto", py::arg("batch_size") = 256, py::arg("origin") = "")
      .def("predict_proba", &Model::predict_proba, py::arg("x"))
      .def("evaluate", &Model::evaluate, py::arg("x"), py::arg("y"))
      .def("save", &Model::save, py::arg("path"))
      .def("summary", &Model::summary)
      .def_property_readonly("spec", &Model::spec)
      .def_property_readonly("input_shape", &Model::input_shape)
      .def_property_readonly("num_classes", &Model::num_classes)
      .def_property_readonly("class_names", &Model::class_names)
      .def_property_readonly("num_params", &Model::num_params)
      .def_property_readonly("device", &Model::device)
      .def_property_readonly("meta_json", &Model::meta_json);
  bind_tune(m);
  m.def("write_report", &write_report, py::arg("model"), py::arg("x"), py::arg("y"), py::arg("path"),
        py::arg("title") = "Evaluation report", py::arg("gallery") = gd::report::kDefaultGalleryLimit);
}
