#pragma once
// The misclassified test digits the workflow report shows, kept in <out>/final/misclassified.json
// so the report can be written again (e.g. by a resumed run) without opening the test set again.
// Holds the most confident errors (report::select_misclassified) with their pixels.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/dataset.h"
#include "engine/report/misclassified_gallery.h"
#include "engine/train/predict.h"

namespace gd::workflow {

inline constexpr int kWorkflowGalleryLimit = 32;

struct MisclassifiedRecord {
  int64_t channels = 1, height = 0, width = 0;
  int64_t samples = 0;       // size of the evaluated set
  int64_t total_errors = 0;  // all misclassified samples, not only the ones kept
  std::vector<std::string> class_names;
  std::vector<report::Misclassified> items;  // most confident first
  std::vector<std::vector<uint8_t>> pixels;  // per item, channels*height*width, as stored in the dataset

  // A dataset of `samples` images in which every kept item's image sits at its original index
  // (the others are black), for report::misclassified_gallery, whose tooltips show that index.
  Dataset sparse_dataset() const;
};

// The `limit` most confident errors of `p` on `data` (labels.size() == p.n, else ShapeError).
MisclassifiedRecord select_misclassified_record(const Predictions& p, const Dataset& data, int limit);

// Atomic JSON write; the reader throws DataError naming the path for a missing, malformed or
// inconsistent file (pixel counts, indices, labels out of range).
void save_misclassified(const MisclassifiedRecord& r, const std::string& path);
MisclassifiedRecord load_misclassified(const std::string& path);

}  // namespace gd::workflow
