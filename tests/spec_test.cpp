// Spec-string parsing and the named architectures' shapes on 28x28 and 16x16 inputs.
#include "engine/model/spec.h"

#include <gtest/gtest.h>

#include "engine/backend/cpu_backend.h"
#include "engine/core/error.h"
#include "engine/graph/network.h"

namespace gd {
namespace {

std::vector<std::string> specs_of(const std::vector<std::unique_ptr<Layer>>& layers) {
  std::vector<std::string> out;
  for (const auto& l : layers) out.push_back(l->spec());
  return out;
}

void expect_config_error(const std::string& spec, const std::string& needle, Shape in = {1, 28, 28}) {
  try {
    build_layers(spec, in, 10, 0.5);
    FAIL() << "no error for spec '" << spec << "'";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Spec, ParsesTheIssueExampleAndInsertsFlatten) {
  const auto layers = build_layers("conv32k5p2,relu,pool2,lc16k5s2p2,relu,fc128,dropout0.5,fc10",
                                   Shape{1, 28, 28}, 10, 0.5);
  const std::vector<std::string> want = {"conv32k5p2", "relu", "pool2", "lc16k5s2p2", "relu",
                                         "flatten", "fc128", "dropout0.5", "fc10"};
  EXPECT_EQ(specs_of(layers), want);
  // 28 -conv p2-> 28 -pool-> 14 -lc s2 p2-> 7: 16*7*7 = 784 features into fc128.
  Shape s{1, 28, 28};
  for (const auto& l : layers) s = l->output_shape(s);
  EXPECT_EQ(s, Shape{10});
  EXPECT_EQ(layers[3]->output_shape(Shape{32, 14, 14}), (Shape{16, 7, 7}));
}

TEST(Spec, TokensAreCaseAndSpaceInsensitiveAndDefaultsApply) {
  const auto layers = build_layers(" Conv8K3P1 , ReLU, AvgPool2S1, BN, Dropout, FC10 ", Shape{1, 6, 6}, 10, 0.3);
  const std::vector<std::string> want = {"conv8k3p1", "relu", "avgpool2s1", "bn", "dropout0.3", "flatten", "fc10"};
  EXPECT_EQ(specs_of(layers), want);
  // avgpool2s1 on 6x6 gives 5x5: 8*5*5 = 200 features into fc10.
  EXPECT_EQ(layers[2]->output_shape(Shape{8, 6, 6}), (Shape{8, 5, 5}));
}

TEST(Spec, NamedArchitecturesHaveTheIssueShapes) {
  CpuBackend be;
  struct Case { const char* arch; Shape in; int64_t params; };
  // Parameter counts by hand:
  //  mlp 28x28: 784*512+512 + 512*256+256 + 256*10+10 = 401920 + 131328 + 2570 = 535818
  //  cnn 28x28: conv1 32*9+32 = 320; conv2 64*32*9+64 = 18496; 12*12*64 = 9216 -> fc128: 1179776;
  //             fc10: 1290 -> 1199882
  //  lcnn 28x28: lc1 196 positions * 16 * 25 + 16*196 = 78400 + 3136 = 81536;
  //              lc2 49 * 32 * 400 + 32*49 = 627200 + 1568 = 628768; fc128: 1568*128+128 = 200832;
  //              fc10: 1290 -> 912426
  //  cnn 16x16: 16 -> 14 -> 12 -> pool 6: 6*6*64 = 2304 -> fc128: 295040; total 320+18496+295040+1290
  //             = 315146
  //  lcnn 16x16: lc1 64 positions (8x8) * 16 * 25 + 16*64 = 25600 + 1024 = 26624; lc2 16 positions
  //              (4x4) * 32 * 400 + 32*16 = 204800 + 512 = 205312; fc128 512*128+128 = 65664; fc10 1290
  //              -> 298890
  //  mlp 16x16: 256*512+512 + 512*256+256 + 2570 = 131584 + 131328 + 2570 = 265482
  //  mlp-wide 28x28: 784*1200+1200 = 942000; 1200*1200+1200 = 1441200; 12010 -> 2395210
  //  mlp-wide 16x16: 256*1200+1200 = 308400 + 1441200 + 12010 = 1761610
  //  cnn-bn 28x28: 28 -> 26 -> 24 -> s2 12 -> 10 -> 8 -> s2 4; convs 320 + 9248 + 25632 + 18496 +
  //             36928 + 102464 = 193088; conv bn 3*64 + 3*128 = 576; fc128 from 64*4*4: 131200;
  //             bn 256; fc10 1290 -> 326410
  //  cnn-bn 16x16: 16 -> 14 -> 12 -> 6 -> 4 -> 2 -> 1; fc128 from 64: 8320 -> 193088 + 576 + 8320 +
  //             256 + 1290 = 203530
  //  lcnn-bn 28x28: lc1 196*32*25 + 32*196 = 163072; lc2 49*64*800 + 64*49 = 2511936; fc256 from
  //             3136: 803072; bn 64 + 128 + 512; fc10 2570 -> 3481354
  //  lcnn-bn 16x16: lc1 64*32*25 + 32*64 = 53248; lc2 16*64*800 + 64*16 = 820224; fc256 from 1024:
  //             262400; bn 704; fc10 2570 -> 1139146
  const Case cases[] = {{"mlp", {1, 28, 28}, 535818},       {"cnn", {1, 28, 28}, 1199882},
                        {"lcnn", {1, 28, 28}, 912426},      {"cnn", {1, 16, 16}, 315146},
                        {"lcnn", {1, 16, 16}, 298890},      {"mlp", {1, 16, 16}, 265482},
                        {"mlp-wide", {1, 28, 28}, 2395210}, {"mlp-wide", {1, 16, 16}, 1761610},
                        {"cnn-bn", {1, 28, 28}, 326410},    {"cnn-bn", {1, 16, 16}, 203530},
                        {"lcnn-bn", {1, 28, 28}, 3481354},  {"lcnn-bn", {1, 16, 16}, 1139146}};
  for (const Case& c : cases) {
    const std::string spec = resolve_arch(c.arch, 10, 0.5);
    Network net(be, build_layers(spec, c.in, 10, 0.5), c.in, 4);
    EXPECT_EQ(net.num_params(), c.params) << c.arch << " on " << c.in.str();
    EXPECT_EQ(net.output_shape(), Shape{10});
  }
  EXPECT_EQ(resolve_arch("cnn", 10, 0.5),
            "conv32k3,relu,conv64k3,relu,pool2,dropout0.25,fc128,relu,dropout0.5,fc10");
  EXPECT_EQ(resolve_arch("lcnn", 10, 0.5), "lc16k5s2p2,relu,lc32k5s2p2,relu,fc128,relu,dropout0.5,fc10");
  EXPECT_EQ(resolve_arch("mlp", 10, 0.2), "fc512,relu,dropout0.2,fc256,relu,dropout0.2,fc10");
}

TEST(Spec, ErrorsNameTheTokenAndPosition) {
  expect_config_error("fc128,fcx,fc10", "token 2 'fcx'");
  expect_config_error("conv32,relu,fc10", "kernel size");
  expect_config_error("conv32k3q1,fc10", "unexpected 'q'");
  expect_config_error("conv32k3s1s2,fc10", "given twice");
  expect_config_error("fc128,softplus,fc10", "unknown layer");
  expect_config_error("fc128,,fc10", "token 2 is empty");
  expect_config_error("dropout1.5,fc10", "dropout probability");
  expect_config_error("dropoutabc,fc10", "bad dropout");
  expect_config_error("fc128,fc7", "must end with fc10");
  expect_config_error("conv8k3,relu", "must end with fc10");
  expect_config_error("conv8k31,fc10", "larger than padded input");
  expect_config_error("", "empty");
  expect_config_error("fc10,avgpool2", "token 2 'avgpool2'");
}

TEST(Spec, NumbersTooLargeNameTheToken) {
  // strtoll saturated 2^64 silently, and the shape product then overflowed (issue 19).
  expect_config_error("fc18446744073709551616,fc10", "token 1 'fc18446744073709551616': number 18446744073709551616 is too large");
  expect_config_error("conv8k3p99999999999,fc10", "token 1 'conv8k3p99999999999'");
  expect_config_error("fc128,fc1000001,fc10", "at most 1000000");
}

}  // namespace
}  // namespace gd
