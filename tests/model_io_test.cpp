// Rebuilding a model from a checkpoint (engine/train/model_io.h) when the checkpoint lies
// (issue 19): weights that are NaN, a spec that does not match the weights (checked before the
// network allocates anything), and every such error naming the checkpoint file.
#include "engine/train/model_io.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <string>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/model/spec.h"
#include "tests/support/expect_error.h"

namespace gd {
namespace {

const Shape kInput{1, 6, 6};
const char* const kSpec = "fc8,relu,fc10";

Checkpoint small_checkpoint(CpuBackend& be) {
  Network net(be, build_layers(kSpec, kInput, 10, 0.0), kInput, 2);
  ModelInfo info;
  info.spec = kSpec;
  info.input = kInput;
  info.num_classes = 10;
  for (int c = 0; c < 10; ++c) info.class_names.push_back(std::to_string(c));
  Checkpoint ck;
  ck.meta["model"] = model_meta(net, info);
  append_weights(ck, net, "");
  ck.source = "/runs/x/model.ckpt";
  return ck;
}

NamedArray& array(Checkpoint& ck, const std::string& name) {
  for (NamedArray& a : ck.arrays)
    if (a.name == name) return a;
  throw Error("no array " + name);
}

TEST(ModelIo, AGoodCheckpointRebuildsItsNetwork) {
  CpuBackend be;
  const Checkpoint ck = small_checkpoint(be);
  ModelInfo info;
  const auto net = network_from_checkpoint(ck, be, 4, &info);
  EXPECT_EQ(net->num_params(), 6 * 6 * 8 + 8 + 8 * 10 + 10);
  EXPECT_EQ(info.spec, "flatten,fc8,relu,fc10");  // the network stores its spec with the implied flatten
}

TEST(ModelIo, NanOrInfiniteWeightsAreRefusedWithTheFileNamed) {
  CpuBackend be;
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    Checkpoint ck = small_checkpoint(be);
    array(ck, "params").values[17] = bad;
    array(ck, "params").values[20] = bad;
    EXPECT_TRUE(test::throws_with<DataError>([&] { network_from_checkpoint(ck, be, 4, nullptr); },
                                             {"/runs/x/model.ckpt", "2 of the 386 values of array 'params'",
                                              "NaN or infinite", "the first at index 17"}));
  }
}

TEST(ModelIo, ASpecThatDoesNotMatchTheWeightsFailsBeforeTheNetworkIsBuilt) {
  CpuBackend be;
  Checkpoint ck = small_checkpoint(be);
  // 10,000 layers: building this network would allocate activations for every one of them.
  std::string spec;
  for (int i = 0; i < 10000; ++i) spec += "fc1000,";
  ck.meta["model"]["spec"] = spec + "fc10";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(test::throws_with<DataError>([&] { network_from_checkpoint(ck, be, 256, nullptr); },
                                           {"/runs/x/model.ckpt", "weights do not match its model spec",
                                            "the checkpoint holds 386"}));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}

TEST(ModelIo, AnInvalidSpecInTheCheckpointNamesTheFile) {
  CpuBackend be;
  Checkpoint ck = small_checkpoint(be);
  ck.meta["model"]["spec"] = "fc18446744073709551616,fc10";
  EXPECT_TRUE(test::throws_with<DataError>([&] { network_from_checkpoint(ck, be, 4, nullptr); },
                                           {"checkpoint '/runs/x/model.ckpt'", "is too large"}));
}

TEST(ModelIo, OutOfRangeNumbersInTheModelDescriptionAreErrorsNotConversions) {
  // nlohmann's get<int>() of 1e38 is undefined behaviour; the description is checked first.
  CpuBackend be;
  for (const auto& [key, value] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"num_classes", 1e38}, {"num_classes", 0}, {"mean", 1e300}, {"std", "x"}}) {
    Checkpoint ck = small_checkpoint(be);
    ck.meta["model"][key] = value;
    EXPECT_TRUE(test::throws_with<DataError>([&] { model_info_from_meta(ck.meta); }, {key})) << key << " " << value;
  }
  Checkpoint ck = small_checkpoint(be);
  ck.meta["model"]["input_shape"] = {1, 1e38, 6};
  EXPECT_TRUE(test::throws_with<DataError>([&] { model_info_from_meta(ck.meta); }, {"input_shape", "1e+38"}));
}

}  // namespace
}  // namespace gd
