// The sealed test set (sealed_test_set.h).
#include "engine/workflow/sealed_test_set.h"

#include "engine/core/error.h"

namespace gd::workflow {

SealedTestSet::SealedTestSet(DatasetSplits& data, std::function<void()> on_open)
    : test_(std::move(data.test)), on_open_(std::move(on_open)) {
  Dataset& left = data.test;
  left = Dataset{};
  left.name = test_.name;
  left.channels = test_.channels;
  left.height = test_.height;
  left.width = test_.width;
  left.num_classes = test_.num_classes;
  left.class_names = test_.class_names;
}

const Dataset& SealedTestSet::open(const std::string& purpose) {
  GD_CHECK(opened_ == 0, "the test set was already opened for '" << first_purpose_
                                                                 << "'; refusing to open it again for '" << purpose
                                                                 << "' (the workflow evaluates on test once)");
  if (on_open_) on_open_();
  ++opened_;
  first_purpose_ = purpose;
  return test_;
}

}  // namespace gd::workflow
