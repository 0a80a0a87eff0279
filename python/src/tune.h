#pragma once
// gpudigits.tune's engine side: the ask/tell study (engine/tune/ask_tell.h) and the translation of a
// trial's parameters into Model.fit settings (the vocabulary of gpu_tune's training objective).
#include <pybind11/pybind11.h>

namespace gd::py_bind {

void bind_tune(pybind11::module_& m);

}  // namespace gd::py_bind
