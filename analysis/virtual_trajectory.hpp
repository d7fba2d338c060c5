// The virtual trajectory of Sec. 1 / Fig. 1:  x̃_{t+1} = x̃_t − γ ∇_x L_t,  x̃_0 = x.
// ∇_x L_t is taken under the network at step t (trained by ordinary GD); x̃ never feeds back.
#pragma once

#include "autodiff/tensor.hpp"

namespace gt::analysis {

template <class T>
class VirtualTrajectory {
   public:
    explicit VirtualTrajectory(const Tensor<T>& x0) : x_(x0) {}
    /// Applies one virtual step with this step's input gradient (same shape as x).
    void step(const Tensor<T>& grad_x, T gamma);
    const Tensor<T>& position() const { return x_; }
    std::size_t steps() const { return steps_; }

   private:
    Tensor<T> x_;
    std::size_t steps_ = 0;
};

}  // namespace gt::analysis
