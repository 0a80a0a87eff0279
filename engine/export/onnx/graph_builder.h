#pragma once
// Appends nodes and initializers to an ONNX GraphProto (libonnx-dev's generated classes), naming
// every tensor uniquely. Only the files under engine/export/onnx/ see protobuf.
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace gd::onnx_export {

class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto* graph) : graph_(graph) {}

  // Constant tensors (initializers) named `name`, returning the name. Values are row-major; an
  // empty `dims` is a scalar.
  std::string floats(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values);
  std::string scalar(const std::string& name, float value) { return floats(name, {}, {value}); }
  std::string int64s(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& values);

  // A node `op` reading `inputs` and writing one output, `output` ("" = "<name>.out"), named `name`.
  // Returns the node so attributes can be added with the setters below.
  onnx::NodeProto& node(const std::string& op, const std::string& name, std::initializer_list<std::string> inputs,
                        const std::string& output = "");
  static const std::string& output_of(const onnx::NodeProto& n) { return n.output(0); }

  static void attribute(onnx::NodeProto& n, const std::string& name, int64_t value);
  static void attribute(onnx::NodeProto& n, const std::string& name, float value);
  static void attribute(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& values);

  int64_t nodes() const { return graph_->node_size(); }

 private:
  onnx::GraphProto* graph_;
};

}  // namespace gd::onnx_export
