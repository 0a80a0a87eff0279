#pragma once
// The test set, kept out of reach until the workflow's single final evaluation. The workflow
// loads the dataset once, moves the test split in here and hands the steps a DatasetSplits whose
// test split is empty, so no step can evaluate on it by accident; the final step opens it once.
#include <functional>
#include <string>

#include "engine/data/dataset.h"

namespace gd::workflow {

class SealedTestSet {
 public:
  // Moves data.test in here; data.test keeps its geometry, class count and names but holds no
  // samples. `on_open` is called before the set is handed out (the workflow records the
  // evaluation in workflow.json there, so even a run killed mid-evaluation counts it).
  SealedTestSet(DatasetSplits& data, std::function<void()> on_open);

  // The test set for `purpose` (shown in the error). Throws Error when it was already opened in
  // this process: a workflow looks at its test set once.
  const Dataset& open(const std::string& purpose);

  int64_t size() const { return test_.n; }
  int times_opened() const { return opened_; }

 private:
  Dataset test_;
  std::function<void()> on_open_;
  int opened_ = 0;
  std::string first_purpose_;
};

}  // namespace gd::workflow
