// How the CUDA convolution plans choose algorithms and im2col chunks (kernels/conv2d_plan_policy.h),
// on lists of candidates like the ones cuDNN's heuristics return: no GPU needed. The case that
// matters most: a batch size other than the one the workspace was sized for (the short last batch,
// an evaluation tail) whose best algorithm needs more workspace than was allocated must get one that
// fits, never one that writes past the buffer.
#include <gtest/gtest.h>

#include <vector>

#include "kernels/conv2d_plan_policy.h"

namespace gd::cuda {
namespace {

ConvAlgoCandidate admissible(int algo, size_t bytes, ConvMath math = ConvMath::Fma) {
  ConvAlgoCandidate c;
  c.algo = algo;
  c.supported = true;
  c.math = math;
  c.deterministic = true;
  c.workspace_known = true;
  c.workspace_bytes = bytes;
  return c;
}

constexpr size_t kAmple = size_t{1} << 40;

TEST(Conv2dPlanPolicy, Fp32TakesTheFirstAdmissibleCandidateInHeuristicOrder) {
  std::vector<ConvAlgoCandidate> c;
  c.push_back(admissible(10, 0));
  c.back().supported = false;
  c.push_back(admissible(11, 0));
  c.back().transform_based = true;
  c.push_back(admissible(12, 0));
  c.back().deterministic = false;
  c.push_back(admissible(13, 0, ConvMath::TensorOp));  // TF32 on Ampere and later: not in FP32 mode
  c.push_back(admissible(14, 0));
  c.back().workspace_known = false;
  c.push_back(admissible(15, 0, ConvMath::Other));
  c.push_back(admissible(16, 4096, ConvMath::Default));
  c.push_back(admissible(17, 0));
  EXPECT_EQ(choose_conv_algo(c, MathPrecision::FP32, kAmple), 6);
  c[6].deterministic = false;
  EXPECT_EQ(choose_conv_algo(c, MathPrecision::FP32, kAmple), 7);
  c[7].supported = false;
  EXPECT_EQ(choose_conv_algo(c, MathPrecision::FP32, kAmple), -1) << "nothing admissible: the im2col path";
}

TEST(Conv2dPlanPolicy, ASmallerBatchGetsAnAlgorithmThatFitsTheAllocatedWorkspace) {
  // At the maximum batch the heuristic's first choice needs 1 MiB: the network allocates that.
  const size_t allocated = size_t{1} << 20;
  const std::vector<ConvAlgoCandidate> max_batch{admissible(1, allocated), admissible(0, 0)};
  ASSERT_EQ(choose_conv_algo(max_batch, MathPrecision::FP32, kAmple), 0);
  // At the short last batch the heuristics prefer an algorithm needing 3 MiB: it must be passed over.
  const std::vector<ConvAlgoCandidate> short_batch{admissible(6, 3 * allocated), admissible(1, allocated / 2),
                                                   admissible(0, 0)};
  EXPECT_EQ(choose_conv_algo(short_batch, MathPrecision::FP32, kAmple), 0) << "unconstrained, it would be chosen";
  const int k = choose_conv_algo(short_batch, MathPrecision::FP32, allocated);
  ASSERT_GE(k, 0);
  EXPECT_EQ(k, 1);
  EXPECT_LE(short_batch[static_cast<size_t>(k)].workspace_bytes, allocated);
  // A capacity of exactly the need fits; one byte less does not.
  EXPECT_EQ(choose_conv_algo({admissible(2, 1000)}, MathPrecision::FP32, 1000), 0);
  EXPECT_EQ(choose_conv_algo({admissible(2, 1000)}, MathPrecision::FP32, 999), -1);
  // Zero capacity: only a workspace-free algorithm.
  EXPECT_EQ(choose_conv_algo(short_batch, MathPrecision::FP32, 0), 2);
}

TEST(Conv2dPlanPolicy, TensorModesPreferTensorOpsAndFallBackToFp32MathWithinTheCapacity) {
  const std::vector<ConvAlgoCandidate> c{admissible(1, 0, ConvMath::Fma), admissible(2, 5000, ConvMath::TensorOp),
                                         admissible(3, 100, ConvMath::TensorOp), admissible(4, 0, ConvMath::Other)};
  for (MathPrecision p : {MathPrecision::TF32, MathPrecision::BF16}) {
    SCOPED_TRACE(math_precision_name(p));
    EXPECT_EQ(choose_conv_algo(c, p, kAmple), 1) << "the first tensor-op candidate, though an FMA one ranks higher";
    EXPECT_EQ(choose_conv_algo(c, p, 1000), 2) << "the tensor-op candidate that fits";
    EXPECT_EQ(choose_conv_algo(c, p, 50), 0) << "no tensor-op candidate fits: FP32 math";
  }
  EXPECT_EQ(choose_conv_algo(c, MathPrecision::FP32, kAmple), 0);
}

TEST(Conv2dPlanPolicy, Im2colChunksShrinkToFitTheCapacity) {
  const Conv2dShape s{100, 8, 20, 20, 16, 5, 5, 1, 2};  // R = 200, OHW = 400: 320 KB of columns a sample
  const Im2colLayout full(s, 0);
  EXPECT_EQ(full.chunk, s.n) << "64 MiB holds the whole batch's columns";
  EXPECT_EQ(im2col_chunk_within(s, full.bytes()), 0) << "the default layout fits";
  EXPECT_EQ(im2col_chunk_within(s, full.bytes() + 1), 0);
  for (size_t capacity : {full.bytes() - 1, full.bytes() / 3, Im2colLayout(s, 7).bytes(), Im2colLayout(s, 1).bytes()}) {
    SCOPED_TRACE(capacity);
    const int64_t chunk = im2col_chunk_within(s, capacity);
    ASSERT_GE(chunk, 1);
    EXPECT_LE(Im2colLayout(s, chunk).bytes(), capacity) << "fits";
    EXPECT_GT(Im2colLayout(s, chunk + 1).bytes(), capacity) << "and is the largest that fits";
  }
  EXPECT_EQ(im2col_chunk_within(s, Im2colLayout(s, 7).bytes()), 7);
  EXPECT_EQ(im2col_chunk_within(s, Im2colLayout(s, 1).bytes() - 1), -1) << "not even one sample fits";
  EXPECT_EQ(im2col_chunk_within(s, 0), -1);
}

TEST(Conv2dPlanPolicy, Im2colLayoutGrowsWithTheChunkAndAlignsThePartials) {
  const Conv2dShape s{9, 3, 7, 5, 4, 3, 3, 2, 1};
  size_t last = 0;
  for (int64_t chunk = 1; chunk <= s.n; ++chunk) {
    const Im2colLayout l(s, chunk);
    EXPECT_EQ(l.chunk, chunk);
    EXPECT_EQ(l.part_offset % 64, 0);
    EXPECT_GE(l.part_offset, l.cols_elems);
    EXPECT_EQ(l.total, l.part_offset + chunk * s.f * s.c * s.kh * s.kw);
    EXPECT_GT(l.bytes(), last);
    last = l.bytes();
  }
  EXPECT_EQ(Im2colLayout(s, 1000).chunk, s.n) << "never more than the batch";
}

}  // namespace
}  // namespace gd::cuda
