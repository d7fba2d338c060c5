// Gram whitening (paper §2 and App. B.1; code `GramFace` + `whitening`), wrapping any optimizer.
//
// For each parameter with ≥ 2 dimensions (a conv kernel is viewed as (Cout, Cin·k·k)):
//   W1 = value before the base step;  W2 = value after it (the plain step W̃⁺);
//   Q  = polar factor of W1·W2ᵀ (out×out);  W⁺ = Q·W2.
// W⁺ is the orthogonal-Procrustes solution of min ‖W⁺ − W1‖_F s.t. W⁺ᵀW⁺ = W2ᵀW2: the update keeps only
// the Gram-altering (whitened) component of the step. Biases and other 1-D parameters are untouched,
// and the base optimizer's buffers keep raw gradients (only the parameter value is replaced).
#pragma once

#include <memory>

#include "nn/optimizer.hpp"
#include "nn/polar.hpp"

namespace gt::nn {

enum class PolarMethod { NewtonSchulz, SVD };

struct GramWhitenOptions {
    PolarMethod method = PolarMethod::NewtonSchulz;
    int ns_steps = 10;             // the paper's code uses 10 quintic steps
    bool track_deviation = true;   // compute gram_deviation() each step (costs one out×out×in GEMM)
};

template <class T>
class GramWhiten : public Optimizer<T> {
   public:
    explicit GramWhiten(std::unique_ptr<Optimizer<T>> base, GramWhitenOptions opt = {});

    void step() override;
    std::string kind() const override { return "gram_whiten(" + base_->kind() + ")"; }
    std::vector<StateTensor<T>> state() override { return base_->state(); }
    std::uint64_t steps() const override { return base_->steps(); }
    void set_steps(std::uint64_t n) override { base_->set_steps(n); }
    double lr() const override { return base_->lr(); }
    void set_lr(double lr) override { base_->set_lr(lr); }

    Optimizer<T>& base() { return *base_; }
    /// Names of the whitened (≥ 2-D) parameters, in order.
    std::vector<std::string> whitened_names() const;
    /// Per whitened parameter, after the last step: ‖W⁺ᵀW⁺ − W̃ᵀW̃‖_F / ‖W̃ᵀW̃‖_F with W̃ = W2 (NaN before
    /// the first step or with track_deviation off). Computed from out×out matrices:
    /// with G = W̃W̃ᵀ and E = QᵀQ − I, ‖W̃ᵀEW̃‖²_F = tr(EGEG) and ‖W̃ᵀW̃‖²_F = ‖G‖²_F.
    const std::vector<double>& gram_deviation() const { return deviation_; }

   private:
    struct Slot {
        Parameter<T>* param;
        std::size_t rows, cols;
        Tensor<T> w1, a, q, out, g, e, m;
        PolarWorkspace<T> ws;
    };
    void whiten(Slot& s);
    double deviation(Slot& s);

    std::unique_ptr<Optimizer<T>> base_;
    GramWhitenOptions opt_;
    std::vector<Slot> slots_;
    std::vector<double> deviation_;
};

extern template class GramWhiten<float>;
extern template class GramWhiten<double>;

}  // namespace gt::nn
