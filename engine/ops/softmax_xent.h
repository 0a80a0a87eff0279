#pragma once
// Fused softmax cross-entropy with optional label smoothing eps in [0,1):
//   target[n,:] = (1-eps)*onehot(labels[n]) + eps/C
//   loss_n      = -sum_c target[n,c] * log softmax(logits[n])_c
// forward_backward: logits (N,C), labels (N) int32 in [0,C) ->
//   loss_per_sample (N)   (OVERWRITES; may be nullptr)
//   returns mean loss over the batch (double)
//   dlogits (N,C) = (softmax - target) / N   (OVERWRITES; skipped when dlogits == nullptr)
//   correct: number of rows whose argmax (first max) equals the label (may be nullptr)
// Throws NumericError naming the row when a logit is NaN or inf.
// Max-subtraction starts at -INFINITY; accumulation in double.
#include <cstdint>

namespace gd {

struct SoftmaxXentShape {
  int64_t n = 0, c = 0;
  double label_smoothing = 0.0;
  void validate() const;
};

template <typename T>
double softmax_xent_forward_backward_ref(const SoftmaxXentShape& s, const T* logits,
                                         const int32_t* labels, T* loss_per_sample, T* dlogits,
                                         int64_t* correct);
// Row-wise softmax probabilities (N,C) (OVERWRITES probs), for prediction/evaluation.
template <typename T>
void softmax_ref(int64_t n, int64_t c, const T* logits, T* probs);

}  // namespace gd
