// A freshly initialised classifier starts near ln(classes): every named architecture and the
// documented example spec strings, 5 seeds each, on real MNIST digits (the embedded mnist-10k test
// images, a random 512 of them). He init in the head started the cnn at 3.6-5.5 (docs/accuracy.md,
// "Initialisation"), which killed its ReLUs at the recipe's learning rate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "engine/backend/cpu_backend.h"
#include "engine/data/dataset.h"
#include "engine/data/registry.h"
#include "engine/model/spec.h"
#include "engine/optim/init.h"
#include "engine/train/predict.h"

namespace gd {
namespace {

TEST(InitialLoss, EveryNamedArchAndExampleSpecStartsNearLnClasses) {
  DataOptions o;
  o.dataset = "mnist-10k";
  o.allow_download = false;
  const DatasetSplits data = load_dataset(o);
  std::vector<int64_t> idx(static_cast<size_t>(data.test.n));
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int64_t>(i);
  deterministic_shuffle(idx, 7, 0);  // the stored test set is sorted by class
  idx.resize(512);
  const Dataset batch = subset(data.test, idx);
  const Shape input{1, 28, 28};

  std::vector<std::string> specs;
  for (const std::string& name : named_archs()) specs.push_back(resolve_arch(name, 10, 0.5));
  specs.push_back("conv32k5p2,relu,pool2,lc16k5s2p2,relu,fc128,dropout0.5,fc10");  // docs/spec-strings.md
  specs.push_back("conv32k5p2,bn,relu,pool2,conv64k5p2,bn,relu,pool2,fc256,relu,dropout,fc10");
  specs.push_back("fc10");
  CpuBackend be;
  const double ln10 = std::log(10.0);
  for (const std::string& spec : specs) {
    double lo = 1e300, hi = -1e300;
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      Network net(be, build_layers(spec, input, 10, 0.5), input, 512);
      net.initialize(InitScheme::HeUniform, seed);
      const Predictions p = predict(net, batch, data.mean, data.std);
      double loss = 0.0;
      for (int64_t i = 0; i < p.n; ++i) loss -= std::log(p.prob(i, batch.labels[static_cast<size_t>(i)]));
      loss /= static_cast<double>(p.n);
      EXPECT_NEAR(loss, ln10, 0.3) << spec << " seed " << seed;
      lo = std::min(lo, loss);
      hi = std::max(hi, loss);
    }
    std::printf("initial loss %.3f-%.3f over seeds 1-5: %s\n", lo, hi, spec.c_str());
  }
}

}  // namespace
}  // namespace gd
