// The majority-class baseline (majority_baseline.h).
#include "engine/workflow/majority_baseline.h"

#include "engine/core/error.h"

namespace gd::workflow {

MajorityBaseline majority_class_baseline(const Dataset& train, const Dataset& val) {
  GD_CHECK_T(train.n > 0, DataError, "majority baseline: the training split '" << train.name << "' is empty");
  GD_CHECK_T(val.n > 0, DataError, "majority baseline: the validation split '" << val.name << "' is empty");
  GD_CHECK_T(train.num_classes == val.num_classes, DataError,
             "majority baseline: the training split has " << train.num_classes << " classes, the validation split "
                                                          << val.num_classes);
  const std::vector<int64_t> counts = label_histogram(train);  // DataError on a bad label
  MajorityBaseline b;
  for (size_t c = 1; c < counts.size(); ++c)
    if (counts[c] > counts[static_cast<size_t>(b.majority_class)]) b.majority_class = static_cast<int>(c);
  b.train_count = counts[static_cast<size_t>(b.majority_class)];
  b.train_total = train.n;
  b.val_correct = label_histogram(val)[static_cast<size_t>(b.majority_class)];
  b.val_total = val.n;
  b.val_accuracy = static_cast<double>(b.val_correct) / static_cast<double>(b.val_total);
  return b;
}

nlohmann::json to_json(const MajorityBaseline& b) {
  return {{"majority_class", b.majority_class}, {"train_count", b.train_count}, {"train_total", b.train_total},
          {"val_correct", b.val_correct},       {"val_total", b.val_total},     {"val_accuracy", b.val_accuracy}};
}

}  // namespace gd::workflow
