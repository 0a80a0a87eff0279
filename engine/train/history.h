#pragma once
// Per-epoch training history, serialisable to JSON and CSV.
// A quantity that was not measured (e.g. val_loss when there is no validation set) is NaN in
// memory, null in JSON and an empty field in CSV; all three round-trip back to NaN.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gd {

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0.0;
  double train_accuracy = 0.0;
  double val_loss = 0.0;
  double val_accuracy = 0.0;
  double lr = 0.0;
  double seconds = 0.0;
  double samples_per_sec = 0.0;
};

class History {
 public:
  void add(const EpochRecord& r) { records_.push_back(r); }
  const std::vector<EpochRecord>& records() const { return records_; }

  // An array of objects, one per epoch, keyed by the EpochRecord field names.
  nlohmann::json to_json() const;
  // Inverse of to_json. Throws DataError when the value is not an array of such objects or a field
  // is missing / of the wrong type.
  static History from_json(const nlohmann::json& j);

  // Header "epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_sec" and
  // one line per epoch; doubles are written with 17 significant digits so they read back exactly.
  std::string to_csv() const;
  // Inverse of to_csv (used to resume a run and by tests). Throws DataError naming the line.
  static History from_csv(const std::string& text);

 private:
  std::vector<EpochRecord> records_;
};

}  // namespace gd
