// Optimizer base: a fixed list of parameters, a step counter, and named state buffers that a
// checkpoint can save and restore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nn/parameter.hpp"

namespace gt::nn {

/// One named state buffer of an optimizer (e.g. "sgd.momentum_buffer.layers.0.weight").
template <class T>
struct StateTensor {
    std::string name;
    Tensor<T>* tensor;
};

template <class T>
class Optimizer {
   public:
    /// ValueError when the list is empty or holds a null pointer or a duplicate.
    Optimizer(std::vector<Parameter<T>*> params, double lr, const char* kind);
    virtual ~Optimizer() = default;
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    /// One update from the parameters' current gradients.
    virtual void step() = 0;
    void zero_grad();

    /// "sgd", "adam", "adamw", "gram_whiten(sgd)", ...: a checkpoint refuses another kind's state.
    virtual std::string kind() const { return kind_; }
    /// Per-parameter buffers, in parameter order, with stable names.
    virtual std::vector<StateTensor<T>> state() { return {}; }
    /// Number of steps taken (bias correction and the first momentum step depend on it).
    virtual std::uint64_t steps() const { return steps_; }
    virtual void set_steps(std::uint64_t n) { steps_ = n; }
    virtual double lr() const { return lr_; }
    virtual void set_lr(double lr);

    const std::vector<Parameter<T>*>& parameters() const { return params_; }

   protected:
    /// Throws ValueError unless every gradient has its parameter's shape (names the parameter).
    void check_gradients(const char* who) const;

    std::vector<Parameter<T>*> params_;
    double lr_;
    std::uint64_t steps_ = 0;
    std::string kind_;
};

/// ValueError "<who>: expected <what>, got <value>" unless ok.
void check_hyper(bool ok, const char* who, const char* what, double value);

extern template class Optimizer<float>;
extern template class Optimizer<double>;

}  // namespace gt::nn
