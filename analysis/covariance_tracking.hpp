// Accumulators over training for Theorem 1 summed over steps (Fig. 7):
//   Σ_t VCS_t = Σ_t Σ_i (h⁺_{t,i} h⁺_{t,i}ᵀ − h_{t,i} h_{t,i}ᵀ),   h⁺ = h − γ∇_h L_t,
// read at each step with the weights of that step (for the first layer h is the input x), against the
// change of the weight Gram from initialisation, W_tᵀW_t − W_0ᵀW_0. Each VCS_t matches the step's Gram
// change up to O(γ²) (gram_shift.hpp), so the two sums agree up to τ·O(γ²).
#pragma once

#include "autodiff/tape.hpp"

namespace gt::analysis {

template <class T>
class VcsAccumulator {
   public:
    explicit VcsAccumulator(std::size_t d);
    /// Adds one step's VCS: h, dh are N × d (or any shape (N, ...) flattened per sample).
    void add(const Tensor<T>& h, const Tensor<T>& dh, T gamma);
    void add(const Tape<T>& tape, Var<T> h, T gamma) { add(tape.value(h), tape.grad(h), gamma); }
    const Tensor<T>& total() const { return sum_; }
    std::size_t steps() const { return steps_; }

   private:
    Tensor<T> sum_;
    std::size_t steps_ = 0;
};

template <class T>
class GramChange {
   public:
    /// w0: the weight at initialisation (out × d).
    explicit GramChange(const Tensor<T>& w0);
    /// W_tᵀW_t − W_0ᵀW_0.
    Tensor<T> change(const Tensor<T>& w) const;
    const Tensor<T>& initial_gram() const { return g0_; }

   private:
    Tensor<T> g0_;
};

/// A per-sample tensor (N, ...) viewed as N × (product of the rest).
template <class T>
Tensor<T> samples_as_rows(const Tensor<T>& x, const char* where);

}  // namespace gt::analysis
