#pragma once
// Ensembles of trained models: the members' class probabilities averaged (the mean of softmax
// outputs, as scikit-learn's soft VotingClassifier and Keras' Average layer do), after checking
// that every member classifies the same images into the same classes.
#include <string>
#include <vector>

#include "engine/train/model_io.h"
#include "engine/train/predict.h"

namespace gd {

// One member as the checks see it: where it came from (for messages) and what it expects.
struct EnsembleMember {
  std::string path;
  ModelInfo info;
};

// Throws ConfigError naming both checkpoints when a member's input shape (C,H,W), class count or
// class names differ from the first member's. Members may differ in everything else (spec,
// normalisation, training). An empty list is a ConfigError too.
void check_ensemble_members(const std::vector<EnsembleMember>& members);

// The members as their checkpoints' model metadata describes them (DataError naming the path when
// it is missing or invalid), checked by check_ensemble_members. paths[i] is where checkpoints[i]
// was loaded from (ShapeError when the counts differ).
std::vector<EnsembleMember> checked_ensemble_members(const std::vector<std::string>& paths,
                                                     const std::vector<Checkpoint>& checkpoints);

// Element-wise mean of the members' probabilities and the argmax of each averaged row (lowest
// index on ties, as predict()). Every member must have the same n and num_classes (ShapeError
// naming the member otherwise); at least one member.
Predictions average_predictions(const std::vector<Predictions>& members);

}  // namespace gd
