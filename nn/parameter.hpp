// Parameter and Module: trainable tensors that live outside the tape (docs/design.md §2).
#pragma once

#include <string>
#include <memory>
#include <vector>

#include "autodiff/tape.hpp"

namespace gt::nn {

/// A named trainable tensor and its gradient buffer (same shape, zero-initialised).
/// Each forward pass enters it on the tape with `enter(tape)`; backward accumulates into `grad`
/// until zero_grad().
template <class T>
struct Parameter {
    std::string name;
    Tensor<T> value;
    Tensor<T> grad;

    Parameter() = default;
    Parameter(std::string name, Tensor<T> value);

    void zero_grad();
    /// The tape leaf that references this parameter's storage.
    Var<T> enter(Tape<T>& tape) { return tape.parameter(value, grad, name.c_str()); }
    std::size_t numel() const { return value.size(); }
};

/// Base of every layer and model: a fixed, ordered list of named parameters and a train/eval flag.
template <class T>
class Module {
   public:
    virtual ~Module() = default;

    /// The parameters in a fixed order (PyTorch's state_dict order for the paper's models).
    virtual std::vector<Parameter<T>*> parameters() { return {}; }

    void train(bool on = true) { training_ = on; }
    void eval() { training_ = false; }
    bool training() const { return training_; }

    void zero_grad();
    std::size_t num_parameters();
    /// The parameter called `name`, or ValueError listing the known names.
    Parameter<T>& parameter(const std::string& name);

   private:
    bool training_ = true;
};

/// Parameters of several modules, concatenated in order.
template <class T>
void append_parameters(std::vector<Parameter<T>*>& out, Module<T>& m);

/// Plain pointers to the layers a model owns, in order (for accessors such as DNN::linears()).
template <class L>
std::vector<L*> owned_pointers(const std::vector<std::unique_ptr<L>>& owned) {
    std::vector<L*> r;
    for (const auto& l : owned) r.push_back(l.get());
    return r;
}

extern template struct Parameter<float>;
extern template struct Parameter<double>;
extern template class Module<float>;
extern template class Module<double>;

}  // namespace gt::nn
