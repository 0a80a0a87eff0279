// Checkpoint + dataset -> predictions and detailed evaluation (see model_evaluation.h).
#include "engine/report/model_evaluation.h"

#include "engine/core/error.h"

namespace gd::report {

EvaluatedModel evaluate_model(const Checkpoint& ck, const std::string& checkpoint_path, Backend& be,
                              const Dataset& data, int64_t batch_size) {
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
  m.predictions = predict(*net, data, m.info.mean, m.info.std);
  m.eval = evaluate_predictions(m.predictions, data.labels, m.info.class_names);
  return m;
}

}  // namespace gd::report
