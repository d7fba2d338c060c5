// The training loop: every figure, the tour, the bench and the tests train through these two functions.
//
// One step (train_step), on one tape that is reset and re-used (tape.reset() keeps its buffers, so a
// steady step allocates nothing):
//   tape.reset → opt.zero_grad → loss = make_loss(tape) → backward → finite check of the loss
//   → hooks.after_backward(tape) → opt.step → hooks.after_step(step, loss)
// after_backward sees every gradient and the weights *before* the update (the tape's parameter leaves
// read the parameters' own storage), which is what the Feature Learning Equation and the Virtual
// Covariance Shift need. A non-finite loss throws before the optimizer touches a weight.
// One epoch (train_epoch): a step per batch of a loader, returning the mean batch loss.
#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "autodiff/autodiff.hpp"
#include "nn/optimizer.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

/// "; non-finite values in 'a', 'b'; non-finite gradients in 'c'", or "" when every parameter is finite.
template <class T>
std::string non_finite_parameters(const std::vector<Parameter<T>*>& params);

/// Throws ValueError "<where>: loss became nan (lower the learning rate)" followed by
/// non_finite_parameters(params) when `loss` is not finite; does nothing otherwise.
template <class T>
void check_finite_loss(const std::string& where, double loss, const std::vector<Parameter<T>*>& params);

/// Where a step is, for the message of a non-finite loss: "<label>, epoch E, step S".
struct StepPlace {
    std::string label;  // "fig2 run seed0/orig"
    long epoch = 0;
};

/// Per-step work of a caller; either may be empty.
template <class T>
struct StepHooks {
    std::function<void(Tape<T>&)> after_backward;            // gradients and pre-update weights
    std::function<void(long step, double loss)> after_step;  // step counts from 1 across epochs
};

/// One optimizer step on the scalar loss `make_loss(tape)` builds (see the top of this file); `step` is
/// the count of steps before this one and is incremented. Returns the loss.
template <class T, class MakeLoss>
double train_step(Tape<T>& tape, Optimizer<T>& opt, MakeLoss&& make_loss, const StepPlace& place, long& step,
                  const StepHooks<T>& hooks = {}) {
    tape.reset();
    opt.zero_grad();
    Var<T> loss = make_loss(tape);
    tape.backward(loss);
    const double l = loss.item();
    ++step;
    if (!std::isfinite(l))
        check_finite_loss<T>(place.label + ", epoch " + std::to_string(place.epoch) + ", step " + std::to_string(step), l,
                             opt.parameters());
    if (hooks.after_backward) hooks.after_backward(tape);
    opt.step();
    if (hooks.after_step) hooks.after_step(step, l);
    return l;
}

/// One epoch over `loader` (start_epoch(), then next(x, y) until it returns false): a train_step per
/// batch on make_loss(tape, x, y). Returns the mean of the batch losses (0 without batches).
template <class T, class Loader, class MakeLoss>
double train_epoch(Loader& loader, Tape<T>& tape, Optimizer<T>& opt, MakeLoss&& make_loss, const StepPlace& place,
                   long& step, const StepHooks<T>& hooks = {}) {
    Tensor<T> x;
    Labels y;
    double loss_sum = 0;
    long batches = 0;
    loader.start_epoch();
    while (loader.next(x, y)) {
        loss_sum += train_step(tape, opt, [&](Tape<T>& t) { return make_loss(t, x, y); }, place, step, hooks);
        ++batches;
    }
    return batches ? loss_sum / batches : 0.0;
}

/// make_loss of a classifier (any model whose forward returns `.logits`): cross-entropy of the batch.
template <class Model>
auto classifier_loss(Model& model) {
    return [&model](auto& tape, const auto& x, const Labels& y) { return cross_entropy(model.forward(tape, tape.input(x)).logits, y); };
}

}  // namespace gt::nn
