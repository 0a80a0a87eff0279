// ONNX export of networks built and randomly initialised here (engine/export): the plan removes
// dropout, folds batch norm into a dense, conv or locally connected layer directly before it and
// keeps the others, and names a layer it cannot export; every exported model passes the ONNX
// checker (full check) and ONNX Runtime computes the engine's probabilities and logits on real
// digits, for every layer type of the spec grammar on 28x28 and 16x16 inputs, with every weight,
// bias and batch-norm statistic random (the head included, so the logits spread). The trained named
// models and the gpu_export program are checked end to end in e2e_export_cli_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/data/dataset.h"
#include "engine/data/registry.h"
#include "engine/export/export_plan.h"
#include "engine/export/onnx_export.h"
#include "engine/export/onnx_location.h"
#include "engine/layers/activation_layer.h"
#include "engine/layers/dense_layer.h"
#include "engine/model/spec.h"
#include "engine/optim/init.h"
#include "engine/train/atomic_file.h"
#include "engine/train/model_io.h"
#include "engine/train/predict.h"
#include "tests/support/expect_error.h"
#include "tests/support/onnx_tools.h"
#include "tests/support/test_support.h"

namespace gd {
namespace {

constexpr int kClasses = 10;
constexpr int64_t kImages = 300;

// Every parameter and batch-norm statistic random, scaled like a trained network's: weights
// uniform in +-sqrt(3 / fan_in) (unit output variance), biases +-0.1, gamma 0.5..1.5, beta +-0.2,
// running means +-0.3 and variances 0.5..2. The head gets 3x larger weights, so the logits spread
// (a freshly initialised head is zero: every probability 1/10).
void randomise(Network& net, uint64_t seed) {
  std::vector<float> params(static_cast<size_t>(net.num_params())), state(static_cast<size_t>(net.num_state()));
  const std::vector<float> u = test::random_floats(net.num_params() + net.num_state(), seed);  // [-1, 1)
  size_t k = 0, p = 0, s = 0;
  for (size_t i = 0; i < net.num_layers(); ++i) {
    const Layer& l = net.layer(i);
    const Shape& in = net.layer_input_shape(i);
    const bool head = i + 1 == net.num_layers();
    for (const ParamSpec& ps : l.param_specs(in)) {
      for (int64_t j = 0; j < ps.shape.numel(); ++j, ++k, ++p) {
        const float r = u[k];
        if (ps.name == "weight") params[p] = r * std::sqrt(3.0f / ps.fan_in) * (head ? 3.0f : 1.0f);
        else if (ps.name == "gamma") params[p] = 1.0f + 0.5f * r;
        else if (ps.name == "beta") params[p] = 0.2f * r;
        else params[p] = 0.1f * r;  // bias
      }
    }
    const int64_t c = l.state_floats(in) / 2;  // batch norm: running_mean (c), running_var (c)
    for (int64_t j = 0; j < 2 * c; ++j, ++k, ++s) state[s] = j < c ? 0.3f * u[k] : 1.25f + 0.75f * u[k];
  }
  write_floats(net.backend(), net.params(), params, "params");
  write_floats(net.backend(), net.state(), state, "state");
}

// A random kImages of the mnist-10k test digits (stored sorted by class), cropped to size x size
// around the centre for a 16x16 model.
Dataset digits(int64_t size) {
  DataOptions o;
  o.dataset = "mnist-10k";
  o.allow_download = false;
  const Dataset test = load_dataset(o).test;
  std::vector<int64_t> idx(static_cast<size_t>(test.n));
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  deterministic_shuffle(idx, 11, 0);
  idx.resize(kImages);
  Dataset d = subset(test, idx);
  if (size == d.height) return d;
  const int64_t off = (d.height - size) / 2;
  std::vector<uint8_t> cropped;
  for (int64_t n = 0; n < d.n; ++n)
    for (int64_t y = 0; y < size; ++y)
      for (int64_t x = 0; x < size; ++x)
        cropped.push_back(d.images[static_cast<size_t>((n * d.height + y + off) * d.width + x + off)]);
  d.images = cropped;
  d.height = d.width = size;
  return d;
}

// The engine's logits for `d` (normalised as predict does), in one forward pass.
std::vector<float> engine_logits(Network& net, const Dataset& d, float mean, float std) {
  std::vector<float> x(d.images.size());
  for (size_t i = 0; i < x.size(); ++i) x[i] = (static_cast<float>(d.images[i]) / 255.0f - mean) / std;
  write_floats(net.backend(), net.input(), x, "input");
  net.forward(d.n, /*training=*/false, 0, 0);
  return read_floats(net.backend(), net.output(), d.n * kClasses);
}

struct Case {
  const char* name;
  const char* spec;
  int64_t size;
  int folded, kept, dropouts;  // batch norms folded and kept, dropout layers removed
};
// all28: conv with stride and padding, max pooling with stride 1, lc with padding, average pooling,
//   conv without padding, every activation; batch norm after conv, lc and fc (folded, the last
//   across a dropout) and after a pooling (kept).
// all16: batch norm first and after a flatten (kept), lc with stride and padding, conv with padding
//   and batch norm, gelu on feature maps.
// cnn, lcnn, mlp: the named shapes.
const Case kCases[] = {
    {"all28",
     "conv6k3s2p1,bn,relu,maxpool2s1,bn,lc5k3p1,bn,elu,avgpool2,conv8k2,tanh,fc32,dropout0.3,bn,sigmoid,"
     "fc16,gelu,dropout0.1,fc10",
     28, 3, 1, 2},
    {"all16", "bn,lc8k5s2p2,relu,conv8k3p1,bn,gelu,flatten,bn,fc10", 16, 1, 2, 0},
    {"cnn", "conv32k3,relu,conv64k3,relu,pool2,dropout0.25,fc128,relu,dropout0.5,fc10", 28, 0, 0, 2},
    {"lcnn", "lc16k5s2p2,relu,lc32k5s2p2,relu,fc128,relu,dropout0.5,fc10", 28, 0, 0, 1},
    {"mlp", "fc512,relu,dropout0.2,fc256,relu,dropout0.2,fc10", 28, 0, 0, 2},
};

struct Built {
  CpuBackend be;
  std::unique_ptr<Network> net;
  ModelInfo info;
};

std::unique_ptr<Built> build(const Case& c, int64_t max_batch) {
  auto b = std::make_unique<Built>();
  b->info.spec = c.spec;
  b->info.input = Shape{1, c.size, c.size};
  b->info.num_classes = kClasses;
  for (int i = 0; i < kClasses; ++i) b->info.class_names.push_back(std::to_string(i));
  b->info.mean = 0.1307f;
  b->info.std = 0.3081f;
  b->net = std::make_unique<Network>(b->be, build_layers(c.spec, b->info.input, kClasses, 0.5), b->info.input, max_batch);
  b->net->initialize(InitScheme::HeUniform, 1);
  randomise(*b->net, 42);
  return b;
}

int count(const ExportPlan& plan, ExportOp op) {
  return static_cast<int>(std::count_if(plan.steps.begin(), plan.steps.end(), [op](const ExportStep& s) { return s.op == op; }));
}

TEST(OnnxExportPlan, FoldsBatchNormAfterAffineLayersKeepsTheRestAndRemovesDropout) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto b = build(c, 1);
    const ExportPlan plan = plan_export(*b->net);
    EXPECT_EQ(plan.folded_batchnorms, c.folded);
    EXPECT_EQ(count(plan, ExportOp::BatchNorm), c.kept);
    EXPECT_EQ(plan.removed_dropouts, c.dropouts);
    EXPECT_EQ(plan.classes, kClasses);
    EXPECT_EQ(plan.steps.size() + static_cast<size_t>(c.folded + c.dropouts), b->net->num_layers());
  }
  // all28's first conv took the batch norm after it: its spec says so and its weights changed.
  const auto b = build(kCases[0], 1);
  const ExportPlan plan = plan_export(*b->net);
  ASSERT_EQ(plan.steps[0].op, ExportOp::Conv);
  EXPECT_EQ(plan.steps[0].spec, "conv6k3s2p1,bn");
  EXPECT_EQ(plan.steps[0].window.stride, 2);
  EXPECT_EQ(plan.steps[0].window.pad, 1);
  const std::vector<float> params = read_floats(b->be, b->net->params(), 6 * 9);
  EXPECT_NE(plan.steps[0].weight[0], params[0]);
  EXPECT_EQ(describe(plan), "15 steps; 3 batch norms folded into the layer before, 1 kept; 2 dropout layers removed");
}

// A layer the exporter does not know is refused by name, position and kind.
class MysteryLayer final : public Layer {
 public:
  std::string spec() const override { return "mystery"; }
  std::string kind() const override { return "Mystery"; }
  Shape output_shape(const Shape& in) const override { return in; }
  void forward(Backend&, const StepInfo&, const Shape&, const float*, float*, const LayerBinding&) override {}
  void backward(Backend&, const StepInfo&, const Shape&, const float*, const float*, const float*, float*,
                const LayerBinding&) override {}
};

TEST(OnnxExportPlan, NamesALayerItCannotExport) {
  CpuBackend be;
  std::vector<std::unique_ptr<Layer>> layers;
  layers.push_back(std::make_unique<DenseLayer>(12));
  layers.push_back(std::make_unique<MysteryLayer>());
  layers.push_back(std::make_unique<DenseLayer>(kClasses));
  Network net(be, std::move(layers), Shape{20}, 1);
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { plan_export(net); }, {"layer 1 'mystery' (Mystery)", "cannot be exported"}));
  ModelInfo info;
  info.input = Shape{1, 28, 28};
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { onnx_model_bytes(net, info); }, {"layer 1 'mystery'"}));
}

// model.onnx beside the checkpoint: found, marked stale when older than the checkpoint; output
// paths refused before anything is written.
TEST(OnnxLocation, FindsTheExportBesideTheCheckpointAndRefusesUnwritablePaths) {
  namespace fs = std::filesystem;
  test::TempDir dir("onnx-location");
  const std::string ckpt = dir.file("model.ckpt");
  write_file_atomic(ckpt, "weights");
  EXPECT_EQ(onnx_path_beside(ckpt), dir.file("model.onnx"));
  EXPECT_EQ(find_onnx_beside(ckpt).path, "");
  EXPECT_EQ(describe(find_onnx_beside(ckpt)), "");
  write_file_atomic(dir.file("model.onnx"), "model");
  fs::last_write_time(ckpt, fs::last_write_time(dir.file("model.onnx")) - std::chrono::seconds(10));
  EXPECT_EQ(find_onnx_beside(ckpt).path, dir.file("model.onnx"));
  EXPECT_FALSE(find_onnx_beside(ckpt).stale);
  EXPECT_EQ(describe(find_onnx_beside(ckpt)), dir.file("model.onnx"));
  fs::last_write_time(ckpt, fs::last_write_time(dir.file("model.onnx")) + std::chrono::seconds(10));
  EXPECT_TRUE(find_onnx_beside(ckpt).stale);
  EXPECT_EQ(describe(find_onnx_beside(ckpt)), dir.file("model.onnx") + " (older than the checkpoint: export again)");
  EXPECT_EQ(onnx_path_beside("model.ckpt"), "model.onnx");

  EXPECT_NO_THROW(check_output_path(dir.file("new.onnx")));
  EXPECT_NO_THROW(check_output_path("relative.onnx"));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_output_path(dir.path()); }, {dir.path(), "is a directory"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_output_path(dir.file("none/m.onnx")); },
                                             {dir.file("none"), "does not exist"}));
  EXPECT_TRUE(test::throws_with<ConfigError>([&] { check_output_path(ckpt + "/m.onnx"); }, {ckpt, "is not a directory"}));
}

TEST(OnnxExport, EveryLayerTypeComputesTheEnginesProbabilitiesInOnnxRuntime) {
  ASSERT_EQ(test::onnx_tools_missing(), "");
  ASSERT_TRUE(onnx_export_available()) << "built without libonnx: install libonnx-dev and libprotobuf-dev";
  test::TempDir dir("onnx-export");
  std::vector<std::string> models;
  for (const Case& c : kCases) {
    SCOPED_TRACE(c.name);
    const auto b = build(c, kImages);
    const std::string path = dir.file(std::string(c.name) + ".onnx");
    const OnnxExportSummary s = write_onnx_model(*b->net, b->info, path);
    EXPECT_EQ(s.path, path);
    EXPECT_EQ(s.bytes, static_cast<int64_t>(read_file(path).size()));
    models.push_back(path);

    const Dataset d = digits(c.size);
    const Predictions engine = predict(*b->net, d, b->info.mean, b->info.std);
    const std::vector<float> logits = engine_logits(*b->net, d, b->info.mean, b->info.std);
    // 64 images a run: four full batches and a short one.
    const test::RuntimeOutputs ort = test::run_onnx_runtime(path, test::unit_interval_pixels(d), b->info.input, 64, dir.path());
    EXPECT_EQ(ort.info["runs"], 5);
    const test::Agreement a = test::compare(engine, ort);
    double logit_diff = 0.0, logit_scale = 0.0;
    for (size_t i = 0; i < logits.size(); ++i) {
      logit_diff = std::max(logit_diff, std::fabs(static_cast<double>(ort.logits.at(i)) - logits[i]));
      logit_scale = std::max(logit_scale, std::fabs(static_cast<double>(logits[i])));
    }
    std::printf("[ %-5s ] %lld images: max |p_ort - p_engine| = %.3g, max |logit diff| = %.3g (largest logit %.3g), "
                "%lld labels differ\n", c.name, static_cast<long long>(d.n), a.max_probability_difference, logit_diff,
                logit_scale, static_cast<long long>(a.label_mismatches));
    EXPECT_LE(a.max_probability_difference, 1e-5);
    EXPECT_EQ(a.label_mismatches, 0);
    // 1e-5 of the largest logit, about 80 float ulps: room for other summation orders (the engine's
    // Winograd convolutions and OpenBLAS, ONNX Runtime's MLAS) over reductions of up to 9,216 terms
    // (cnn's fc128); measured: at most 1e-6 of the largest logit.
    EXPECT_LE(logit_diff, 1e-5 * std::max(1.0, logit_scale));
    // Not a degenerate network: logits of order 1 and more, probabilities that depend on the image
    // (an export error in an early layer would hide behind outputs that do not).
    double spread = 0.0;
    for (size_t i = 0; i < engine.probs.size(); ++i)
      spread = std::max(spread, std::fabs(static_cast<double>(engine.probs[i]) - engine.probs[i % kClasses]));
    EXPECT_GE(logit_scale, 1.0);
    EXPECT_GE(spread, 0.05);
  }
  const nlohmann::json checked = test::check_onnx_models(models);
  ASSERT_EQ(checked.size(), models.size());
  for (const nlohmann::json& m : checked) {
    EXPECT_TRUE(m["ok"].get<bool>()) << m.dump(1);
    for (const char* op : {"Dropout", "Identity"})
      EXPECT_EQ(std::count(m["ops"].begin(), m["ops"].end(), op), 0) << m["path"] << " has " << op;
  }
  // all16 is a USPS-style model; its kept batch norms are BatchNormalization nodes.
  EXPECT_EQ(checked[1]["metadata"]["preprocessing"], "usps");
  EXPECT_EQ(checked[1]["inputs"][0]["shape"], nlohmann::json::parse(R"(["N", 1, 16, 16])"));
  EXPECT_EQ(std::count(checked[1]["ops"].begin(), checked[1]["ops"].end(), "BatchNormalization"), 1);
  EXPECT_EQ(checked[0]["metadata"]["preprocessing"], "mnist");
  for (const char* op : {"Conv", "MaxPool", "AveragePool", "Gather", "MatMul", "Pad", "Relu", "Elu", "Tanh",
                         "Sigmoid", "Erf", "Gemm", "BatchNormalization", "Softmax"})
    EXPECT_EQ(std::count(checked[0]["ops"].begin(), checked[0]["ops"].end(), op), 1) << "all28 lacks " << op;
}

}  // namespace
}  // namespace gd
