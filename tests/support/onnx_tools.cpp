#include "tests/support/onnx_tools.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/core/error.h"
#include "engine/train/atomic_file.h"
#include "tests/support/run_binary.h"

namespace gd::test {
namespace {

const std::string kScripts = std::string(GD_SOURCE_DIR) + "/tests/scripts/";

std::string quoted(const std::string& s) { return "'" + s + "'"; }

// The scripts print their JSON as the last line (a runtime may warn on stderr before it).
nlohmann::json last_line_json(const BinaryOutput& c, const std::string& what) {
  std::string text = c.text;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const size_t start = text.rfind('\n');
  try {
    return nlohmann::json::parse(start == std::string::npos ? text : text.substr(start + 1));
  } catch (const nlohmann::json::exception&) {
    throw Error(what + " exited with " + std::to_string(c.code) + " and no JSON: " + c.text);
  }
}

std::vector<float> read_floats_file(const std::string& path) {
  const std::string bytes = read_file(path);
  std::vector<float> v(bytes.size() / sizeof(float));
  std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(v.size() * sizeof(float)),
            reinterpret_cast<char*>(v.data()));
  return v;
}

int32_t argmax(const float* row, int classes) {
  return static_cast<int32_t>(std::max_element(row, row + classes) - row);
}

}  // namespace

std::string onnx_tools_missing() {
  std::string missing;
  const BinaryOutput node = run_shell(quoted(GD_NODE_EXECUTABLE) + " --version");
  if (node.code != 0) missing += "Node ('" GD_NODE_EXECUTABLE "' does not run: install nodejs); ";
  else if (!std::filesystem::is_directory(GD_ONNXRUNTIME_NODE_DIR))
    missing += "onnxruntime-node (not in " GD_ONNXRUNTIME_NODE_DIR
               ": ./setup.sh installs onnxruntime-node@1.30.0 into .deps/npm); ";
  else if (run_shell(quoted(GD_NODE_EXECUTABLE) + " -e \"require('" GD_ONNXRUNTIME_NODE_DIR "')\"").code != 0)
    missing += "onnxruntime-node (in " GD_ONNXRUNTIME_NODE_DIR " but it does not load: reinstall with ./setup.sh); ";
  if (run_shell(quoted(GD_PYTHON3_EXECUTABLE) + " -c 'import onnx.checker'").code != 0)
    missing += "the ONNX checker ('" GD_PYTHON3_EXECUTABLE " -c \"import onnx\"' fails: install python3-onnx, "
               "./setup.sh does); ";
  if (!missing.empty()) missing.resize(missing.size() - 2);  // the last "; "
  return missing;
}

nlohmann::json check_onnx_models(const std::vector<std::string>& models) {
  std::string cmd = quoted(GD_PYTHON3_EXECUTABLE) + " " + quoted(kScripts + "onnx_check.py");
  for (const std::string& m : models) cmd += " " + quoted(m);
  return last_line_json(run_shell(cmd), "onnx_check.py");
}

RuntimeOutputs run_onnx_runtime(const std::string& model, const std::vector<float>& images, const Shape& sample,
                                int64_t batch, const std::string& work_dir) {
  const int64_t n = static_cast<int64_t>(images.size()) / sample.numel();
  const std::string stem = work_dir + "/" + std::filesystem::path(model).stem().string() + "-b" + std::to_string(batch);
  write_file_atomic(stem + ".images.f32",
                    std::string(reinterpret_cast<const char*>(images.data()), images.size() * sizeof(float)));
  const BinaryOutput c = run_shell(quoted(GD_NODE_EXECUTABLE) + " " + quoted(kScripts + "onnx_runtime_run.js") + " " +
                                quoted(GD_ONNXRUNTIME_NODE_DIR) + " " + quoted(model) + " " +
                                quoted(stem + ".images.f32") + " " + std::to_string(n) + " " +
                                std::to_string(sample[0]) + " " + std::to_string(sample[1]) + " " +
                                std::to_string(sample[2]) + " " + std::to_string(batch) + " " + quoted(stem));
  if (c.code != 0) throw Error("onnx_runtime_run.js on " + model + " exited with " + std::to_string(c.code) + ": " + c.text);
  RuntimeOutputs out;
  out.info = last_line_json(c, "onnx_runtime_run.js");
  out.probabilities = read_floats_file(stem + ".probabilities.f32");
  out.logits = read_floats_file(stem + ".logits.f32");
  return out;
}

std::vector<float> unit_interval_pixels(const Dataset& d) {
  std::vector<float> x(d.images.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(d.images[i]) / 255.0f;
  return x;
}

Agreement compare(const Predictions& engine, const RuntimeOutputs& runtime) {
  GD_CHECK(runtime.probabilities.size() == engine.probs.size(),
           "ONNX Runtime gave " << runtime.probabilities.size() << " probabilities, the engine " << engine.probs.size());
  Agreement a;
  for (size_t i = 0; i < engine.probs.size(); ++i) {
    const double d = std::fabs(static_cast<double>(runtime.probabilities[i]) - engine.probs[i]);
    a.max_probability_difference = std::isfinite(d) ? std::max(a.max_probability_difference, d) : INFINITY;
  }
  for (int64_t i = 0; i < engine.n; ++i)
    a.label_mismatches += argmax(runtime.probabilities.data() + i * engine.num_classes, engine.num_classes) !=
                          engine.label[static_cast<size_t>(i)];
  return a;
}

}  // namespace gd::test
