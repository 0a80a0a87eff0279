// ONNX export with libonnx (engine/export/onnx_export.h). Built only when CMake finds libonnx-dev
// and libprotobuf-dev; engine/export/onnx_export_unavailable.cpp stands in otherwise.
#include "engine/export/onnx_export.h"

#include <onnx/onnx_pb.h>

#include "engine/core/error.h"
#include "engine/export/export_plan.h"
#include "engine/export/onnx/graph_builder.h"
#include "engine/export/onnx/layer_nodes.h"
#include "engine/export/onnx_metadata.h"
#include "engine/export/onnx_location.h"
#include "engine/train/atomic_file.h"

namespace gd {
namespace {

using onnx_export::GraphBuilder;

// A float tensor value_info with a symbolic batch dimension "N" first.
void add_value_info(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list, const std::string& name,
                    const Shape& per_sample, const std::string& doc) {
  onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  v->set_doc_string(doc);
  onnx::TypeProto_Tensor* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  onnx::TensorShapeProto* shape = t->mutable_shape();
  shape->add_dim()->set_dim_param("N");
  for (int64_t d : per_sample.dims()) shape->add_dim()->set_dim_value(d);
}

onnx::ModelProto build_model(const Network& net, const ModelInfo& info, OnnxExportSummary* summary) {
  const ExportPlan plan = plan_export(net);
  const Shape classes{plan.classes};
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("gpudigits");
  model.set_producer_version(GD_VERSION);
  model.set_doc_string("gpudigits model '" + info.spec + "' for " + std::to_string(info.input[1]) + "x" +
                       std::to_string(info.input[2]) + " digits (docs/onnx.md)");
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  for (const auto& [key, value] : onnx_metadata(info)) {
    onnx::StringStringEntryProto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
  }

  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name("gpudigits");
  add_value_info(graph->mutable_input(), "image", info.input,
                 "pixel intensities in [0, 1], light digit on a dark background");
  add_value_info(graph->mutable_output(), "probabilities", classes, "softmax of logits");
  add_value_info(graph->mutable_output(), "logits", classes, "class scores before the softmax");

  GraphBuilder g(graph);
  // The engine's input normalisation, (pixel / 255 - mean) / std, on the [0, 1] input.
  auto& centred = g.node("Sub", "normalise.sub_mean", {"image", g.scalar("normalise.mean", info.mean)});
  auto& normalised =
      g.node("Div", "normalise.div_std", {GraphBuilder::output_of(centred), g.scalar("normalise.std", info.std)});
  std::string x = GraphBuilder::output_of(normalised);
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const ExportStep& s = plan.steps[i];
    const std::string out = i + 1 == plan.steps.size() ? "logits" : s.name + ".y";
    onnx_export::emit_step(g, s, x, out);
    x = out;
  }
  GraphBuilder::attribute(g.node("Softmax", "softmax", {"logits"}, "probabilities"), "axis", int64_t{1});

  if (summary) {
    summary->opset = kOnnxOpset;
    summary->nodes = g.nodes();
    summary->plan = describe(plan);
  }
  return model;
}

}  // namespace

bool onnx_export_available() { return true; }

std::string onnx_model_bytes(const Network& net, const ModelInfo& info, OnnxExportSummary* summary) {
  const onnx::ModelProto model = build_model(net, info, summary);
  std::string bytes;
  GD_CHECK(model.SerializeToString(&bytes),
           "ONNX export: protobuf could not serialise the model (" << model.ByteSizeLong() << " bytes; the limit is 2 GiB)");
  if (summary) summary->bytes = static_cast<int64_t>(bytes.size());
  return bytes;
}

OnnxExportSummary write_onnx_model(const Network& net, const ModelInfo& info, const std::string& path) {
  check_output_path(path);
  OnnxExportSummary summary;
  const std::string bytes = onnx_model_bytes(net, info, &summary);
  write_file_atomic(path, bytes);
  summary.path = path;
  return summary;
}

}  // namespace gd
