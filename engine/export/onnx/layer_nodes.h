#pragma once
// The ONNX nodes of one step of an export plan (engine/export/export_plan.h).
#include <string>

#include "engine/export/export_plan.h"
#include "engine/export/onnx/graph_builder.h"

namespace gd::onnx_export {

// Appends the nodes (and initializers) computing step `s` from tensor `in` (N, s.in...) into
// tensor `out` (N, s.out...). Nodes and initializers are named after s.name.
void emit_step(GraphBuilder& g, const ExportStep& s, const std::string& in, const std::string& out);

}  // namespace gd::onnx_export
