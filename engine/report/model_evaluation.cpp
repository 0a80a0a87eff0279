// Checkpoint + dataset -> predictions and detailed evaluation (see model_evaluation.h).
#include "engine/report/model_evaluation.h"

#include "engine/core/error.h"
#include "engine/train/ensemble.h"

namespace gd::report {

EvaluatedModel evaluate_model(const Checkpoint& ck, const std::string& checkpoint_path, Backend& be,
                              const Dataset& data, int64_t batch_size, const std::vector<PixelShift>& shifts) {
  GD_CHECK_T(batch_size >= 1, ConfigError, "--batch-size must be >= 1, got " << batch_size);
  EvaluatedModel m;
  auto net = network_from_checkpoint(ck, be, batch_size, &m.info);
  const Shape& in = m.info.input;
  GD_CHECK_T(in.rank() == 3 && in[0] == data.channels && in[1] == data.height && in[2] == data.width, DataError,
             "the model in " << checkpoint_path << " expects " << in.str() << " images (channels,height,width) but "
                             << "dataset '" << data.name << "' has (" << data.channels << "," << data.height << ","
                             << data.width << ")");
  GD_CHECK_T(data.num_classes <= m.info.num_classes, DataError,
             "dataset '" << data.name << "' has " << data.num_classes << " classes but the model in "
                         << checkpoint_path << " predicts " << m.info.num_classes);
  m.summary = summarize_model(*net);
  m.predictions = predict_with_shifts(*net, data, m.info.mean, m.info.std, shifts);
  m.eval = evaluate_predictions(m.predictions, data.labels, m.info.class_names);
  return m;
}

EvaluatedEnsemble evaluate_ensemble(const std::vector<std::string>& checkpoint_paths,
                                    const std::vector<Checkpoint>& checkpoints, Backend& be, const Dataset& data,
                                    int64_t batch_size, const std::vector<PixelShift>& shifts) {
  checked_ensemble_members(checkpoint_paths, checkpoints);
  EvaluatedEnsemble out;
  out.paths = checkpoint_paths;
  std::vector<Predictions> probs;
  for (size_t i = 0; i < checkpoints.size(); ++i) {
    out.members.push_back(evaluate_model(checkpoints[i], checkpoint_paths[i], be, data, batch_size, shifts));
    probs.push_back(out.members.back().predictions);
  }
  out.predictions = average_predictions(probs);
  out.eval = evaluate_predictions(out.predictions, data.labels, out.members.front().info.class_names);
  return out;
}

}  // namespace gd::report
