#include "engine/train/ensemble.h"

#include <algorithm>

#include "engine/core/error.h"

namespace gd {

void check_ensemble_members(const std::vector<EnsembleMember>& members) {
  GD_CHECK_T(!members.empty(), ConfigError, "an ensemble needs at least one checkpoint");
  const EnsembleMember& first = members.front();
  for (size_t i = 1; i < members.size(); ++i) {
    const EnsembleMember& m = members[i];
    const std::string pair = "ensemble members " + first.path + " and " + m.path;
    GD_CHECK_T(m.info.input == first.info.input, ConfigError,
               pair << " take different inputs: " << first.info.input.str() << " and " << m.info.input.str()
                    << " (channels,height,width); average only models trained on the same kind of images");
    GD_CHECK_T(m.info.num_classes == first.info.num_classes, ConfigError,
               pair << " predict different numbers of classes: " << first.info.num_classes << " and "
                    << m.info.num_classes);
    if (m.info.class_names != first.info.class_names) {
      size_t k = 0;
      while (k < m.info.class_names.size() && k < first.info.class_names.size() &&
             m.info.class_names[k] == first.info.class_names[k])
        ++k;
      auto name = [k](const ModelInfo& info) {
        return k < info.class_names.size() ? "'" + info.class_names[k] + "'" : std::string("none");
      };
      throw ConfigError(pair + " name their classes differently: class " + std::to_string(k) + " is " +
                        name(first.info) + " in the first and " + name(m.info) + " in the second");
    }
  }
}

std::vector<EnsembleMember> checked_ensemble_members(const std::vector<std::string>& paths,
                                                     const std::vector<Checkpoint>& checkpoints) {
  GD_CHECK_SHAPE(paths.size() == checkpoints.size(),
                 "checked_ensemble_members: " << paths.size() << " paths for " << checkpoints.size() << " checkpoints");
  std::vector<EnsembleMember> members;
  for (size_t i = 0; i < checkpoints.size(); ++i) {
    try {
      members.push_back({paths[i], model_info_from_meta(checkpoints[i].meta)});
    } catch (const Error& e) {
      throw DataError(paths[i] + ": " + e.what());
    }
  }
  check_ensemble_members(members);
  return members;
}

Predictions average_predictions(const std::vector<Predictions>& members) {
  GD_CHECK_SHAPE(!members.empty(), "average_predictions: no members");
  const Predictions& first = members.front();
  for (size_t m = 0; m < members.size(); ++m) {
    const Predictions& p = members[m];
    GD_CHECK_SHAPE(p.n == first.n && p.num_classes == first.num_classes &&
                       p.probs.size() == static_cast<size_t>(p.n) * p.num_classes,
                   "average_predictions: member " << m << " has " << p.n << " samples of " << p.num_classes
                                                  << " classes (" << p.probs.size() << " probabilities), member 0 "
                                                  << first.n << " of " << first.num_classes);
  }
  Predictions out;
  out.n = first.n;
  out.num_classes = first.num_classes;
  out.probs.assign(first.probs.size(), 0.0f);
  out.label.resize(static_cast<size_t>(first.n));
  const double scale = 1.0 / static_cast<double>(members.size());
  const size_t C = static_cast<size_t>(first.num_classes);
  std::vector<double> sum(C);
  for (int64_t i = 0; i < first.n; ++i) {
    std::fill(sum.begin(), sum.end(), 0.0);
    for (const Predictions& p : members)
      for (size_t c = 0; c < C; ++c) sum[c] += p.probs[static_cast<size_t>(i) * C + c];
    float* row = out.probs.data() + static_cast<size_t>(i) * C;
    for (size_t c = 0; c < C; ++c) row[c] = static_cast<float>(sum[c] * scale);
    out.label[static_cast<size_t>(i)] = static_cast<int32_t>(std::max_element(row, row + C) - row);
  }
  return out;
}

}  // namespace gd
