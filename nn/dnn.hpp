// The paper's fully connected network (§3.1, `src/model.py::DNN`):
//   Linear(in, h) → act → (num_hidden − 1) × [Linear(h, h) → act] → Linear(h, out).
#pragma once

#include <memory>
#include <vector>

#include "nn/activation.hpp"
#include "nn/linear.hpp"
#include "nn/var_list.hpp"

namespace gt::nn {

/// Every intermediate of one forward pass, so analysis can read values and gradients on the tape.
template <class T>
struct MLPOutput {
    Var<T> logits;
    VarList<T> layer_inputs;     // h_l: the input Linear l multiplies; [0] = flattened x
    VarList<T> pre_activations;  // z_l = Linear l's output (last = logits)
    VarList<T> hidden;           // act(z_l) for l < num_hidden (== layer_inputs[l+1])
};

template <class T>
class DNN : public Module<T> {
   public:
    /// Parameters are named like PyTorch's state_dict: layers.<l>.weight, layers.<l>.bias.
    DNN(std::size_t in, std::size_t hidden, std::size_t out, std::size_t num_hidden, bool bias, Activation act,
        Rng& rng);

    /// x (B, ...) is flattened to (B, in).
    MLPOutput<T> forward(Tape<T>& tape, Var<T> x);
    std::vector<Parameter<T>*> parameters() override;
    /// num_hidden + 1 layers, in order.
    std::vector<Linear<T>*> linears();

    std::size_t num_hidden() const { return layers_.size() - 1; }
    Activation activation() const { return act_; }

   private:
    std::vector<std::unique_ptr<Linear<T>>> layers_;
    Activation act_;
    std::size_t in_;
};

extern template class DNN<float>;
extern template class DNN<double>;

}  // namespace gt::nn
