#include "engine/export/onnx/graph_builder.h"

#include "engine/core/error.h"

namespace gd::onnx_export {
namespace {

int64_t count(const std::vector<int64_t>& dims) {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

// Values stored as raw_data, which ONNX defines as little-endian: the host's own order, checked here.
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "ONNX raw_data is little-endian");
template <typename T>
onnx::TensorProto* add_tensor(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                              const std::vector<T>& values, onnx::TensorProto_DataType type) {
  GD_CHECK(count(dims) == static_cast<int64_t>(values.size()),
           "ONNX initializer '" << name << "': " << values.size() << " values for " << count(dims) << " elements");
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return t;
}

}  // namespace

std::string GraphBuilder::floats(const std::string& name, const std::vector<int64_t>& dims,
                                 const std::vector<float>& values) {
  return add_tensor(graph_, name, dims, values, onnx::TensorProto_DataType_FLOAT)->name();
}

std::string GraphBuilder::int64s(const std::string& name, const std::vector<int64_t>& dims,
                                 const std::vector<int64_t>& values) {
  return add_tensor(graph_, name, dims, values, onnx::TensorProto_DataType_INT64)->name();
}

onnx::NodeProto& GraphBuilder::node(const std::string& op, const std::string& name,
                                    std::initializer_list<std::string> inputs, const std::string& output) {
  onnx::NodeProto* n = graph_->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string& in : inputs) n->add_input(in);
  n->add_output(output.empty() ? name + ".out" : output);
  return *n;
}

void GraphBuilder::attribute(onnx::NodeProto& n, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INT);
  a->set_i(value);
}

void GraphBuilder::attribute(onnx::NodeProto& n, const std::string& name, float value) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
  a->set_f(value);
}

void GraphBuilder::attribute(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto_AttributeType_INTS);
  for (int64_t v : values) a->add_ints(v);
}

}  // namespace gd::onnx_export
