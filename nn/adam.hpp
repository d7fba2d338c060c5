// Adam and AdamW with PyTorch's exact update rules (torch.optim.Adam / AdamW, amsgrad off):
//   t ← t + 1;  [Adam: g ← g + wd·p]   [AdamW: p ← p·(1 − lr·wd) first]
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
#pragma once

#include "nn/optimizer.hpp"

namespace gt::nn {

struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weight_decay = 0.0;  // L2 for Adam, decoupled for AdamW
};

template <class T>
class Adam : public Optimizer<T> {
   public:
    Adam(std::vector<Parameter<T>*> params, AdamOptions opt);
    void step() override;
    std::vector<StateTensor<T>> state() override;
    const AdamOptions& options() const { return opt_; }

   protected:
    Adam(std::vector<Parameter<T>*> params, AdamOptions opt, bool decoupled);

   private:
    AdamOptions opt_;
    bool decoupled_;
    std::vector<Tensor<T>> m_, v_;
};

/// AdamW: weight decay applied as p ← p·(1 − lr·wd) before the Adam step (default wd 0.01 as PyTorch).
template <class T>
class AdamW : public Adam<T> {
   public:
    AdamW(std::vector<Parameter<T>*> params, AdamOptions opt);
};

/// AdamW's defaults (PyTorch): weight_decay 0.01.
AdamOptions adamw_defaults();

extern template class Adam<float>;
extern template class Adam<double>;
extern template class AdamW<float>;
extern template class AdamW<double>;

}  // namespace gt::nn
