#pragma once
// Batch normalisation over (N, C, S): S = H*W for conv feature maps, S = 1 after a dense layer.
// Statistics per channel c over N*S values. eps = 1e-5, momentum = 0.1 as in PyTorch:
//   running_mean = (1-momentum)*running_mean + momentum*batch_mean
//   running_var  = (1-momentum)*running_var  + momentum*batch_var_unbiased   (N*S/(N*S-1))
// train forward: x -> y = gamma*(x-mean)*invstd + beta using the biased batch variance;
//                writes save_mean (C), save_invstd (C) and updates running stats in place.
// eval forward : uses running stats (save_* untouched).
// backward (train mode): dy -> dx (OVERWRITES), dgamma (C) (OVERWRITES), dbeta (C) (OVERWRITES),
//                using save_mean / save_invstd from the forward.
#include <cstdint>

namespace gd {

struct BatchNormShape {
  int64_t n = 0, c = 0, s = 1;
  double eps = 1e-5;
  double momentum = 0.1;
  void validate() const;
};

template <typename T>
void batchnorm_forward_train_ref(const BatchNormShape& sh, const T* x, const T* gamma, const T* beta,
                                 T* y, T* save_mean, T* save_invstd, T* running_mean, T* running_var);
template <typename T>
void batchnorm_forward_eval_ref(const BatchNormShape& sh, const T* x, const T* gamma, const T* beta,
                                const T* running_mean, const T* running_var, T* y);
template <typename T>
void batchnorm_backward_ref(const BatchNormShape& sh, const T* x, const T* gamma, const T* save_mean,
                            const T* save_invstd, const T* dy, T* dx, T* dgamma, T* dbeta);

}  // namespace gd
