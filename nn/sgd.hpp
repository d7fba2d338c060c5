// SGD with PyTorch's exact update rule (torch.optim.SGD, dampening 0):
//   g ← ∇ + wd·p;  buf ← g on the first step, else μ·buf + g;  d ← g + μ·buf (Nesterov) or buf;  p ← p − lr·d
#pragma once

#include "nn/optimizer.hpp"

namespace gt::nn {

struct SGDOptions {
    double lr = 0.01;
    double momentum = 0.0;
    double weight_decay = 0.0;
    bool nesterov = false;
};

template <class T>
class SGD : public Optimizer<T> {
   public:
    SGD(std::vector<Parameter<T>*> params, SGDOptions opt);
    void step() override;
    std::vector<StateTensor<T>> state() override;
    const SGDOptions& options() const { return opt_; }

   private:
    SGDOptions opt_;
    std::vector<Tensor<T>> buf_;  // momentum buffers (unused without momentum)
};

extern template class SGD<float>;
extern template class SGD<double>;

}  // namespace gt::nn
