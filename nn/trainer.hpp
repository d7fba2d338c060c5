// The training loop: one epoch over a batch source with a model-specific step function, callbacks,
// evaluation without gradients, NaN/Inf detection, and a progress line.
//
// One Tape is reused across steps (tape.reset() keeps its buffers). Per step:
//   reset → zero_grad → step_fn (forward + loss) → finite check → backward → on_after_backward
//   → optimizer.step() → on_step_end.
// on_after_backward sees every gradient and the *pre-update* weights (the tape's parameter leaves
// reference the parameters' storage), which is what Feature-Learning-equation checks need.
#pragma once

#include <cstdio>
#include <functional>
#include <string>

#include "autodiff/tape.hpp"
#include "nn/optimizer.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

template <class T>
struct Batch {
    Tensor<T> x;       // (B, ...)
    Labels y;          // class labels (empty for regression)
    Tensor<T> target;  // (B, k) regression targets (empty unless requested)
    std::size_t size() const { return x.dimension() ? x.shape(0) : 0; }
};

/// Anything that yields batches (data::BatchLoader via batch_source()).
template <class T>
struct BatchSource {
    std::function<std::size_t()> num_batches;
    std::function<void()> start_epoch;
    std::function<bool(Batch<T>&)> next;  // false at the end of the epoch
};

/// Adapts a loader with num_batches(), start_epoch() and next(x, y, target*) (data::BatchLoader<T>).
template <class T, class Loader>
BatchSource<T> batch_source(Loader& loader, bool with_target = false) {
    return {[&loader] { return loader.num_batches(); }, [&loader] { loader.start_epoch(); },
            [&loader, with_target](Batch<T>& b) { return loader.next(b.x, b.y, with_target ? &b.target : nullptr); }};
}

/// What a step function returns: the scalar loss, and logits if accuracy should be counted.
template <class T>
struct StepOutput {
    Var<T> loss;
    Var<T> logits;  // optional (invalid Var → no accuracy)
};

template <class T>
using StepFn = std::function<StepOutput<T>(Tape<T>&, const Batch<T>&)>;

template <class T>
struct StepInfo {
    std::size_t epoch;        // 0-based
    std::size_t step;         // within the epoch, 0-based
    std::size_t global_step;  // across epochs, 0-based
    double loss;
    Tape<T>& tape;            // every value and gradient of this step is readable
    const Batch<T>& batch;
    const StepOutput<T>& out;
};

struct EpochStats {
    std::size_t epoch = 0;
    double loss = 0;  // mean per sample
    double accuracy;  // NaN when the step function gives no logits
    std::size_t samples = 0, steps = 0;
    double seconds = 0;
};

struct EvalStats {
    double loss = 0;  // mean per sample
    double accuracy;  // NaN without logits
    std::size_t samples = 0;
};

struct TrainerOptions {
    std::string name = "train";
    bool progress = true;          // \r line on a terminal, periodic lines otherwise
    std::size_t print_every = 200;  // steps between plain lines when not on a terminal
    std::FILE* stream = stderr;
};

template <class T>
class Trainer {
   public:
    Trainer(Module<T>& model, Optimizer<T>& opt, StepFn<T> step_fn, TrainerOptions opt_ = {});

    /// One epoch; ValueError "… epoch E, step S: loss is nan" if the loss is not finite, followed by the
    /// parameters whose values or gradients are not finite (a NaN gradient of an earlier step shows here).
    EpochStats train_epoch(BatchSource<T>& src);
    /// Loss and accuracy over the source, under NoGradGuard and model.eval().
    EvalStats evaluate(BatchSource<T>& src);

    std::function<void(const StepInfo<T>&)> on_after_backward;
    std::function<void(const StepInfo<T>&)> on_step_end;
    std::function<void(const EpochStats&)> on_epoch_end;

    std::size_t epoch() const { return epoch_; }
    std::size_t global_step() const { return global_step_; }
    /// For resuming from a checkpoint.
    void set_position(std::size_t epoch, std::size_t global_step) {
        epoch_ = epoch;
        global_step_ = global_step;
    }
    Tape<T>& tape() { return tape_; }

   private:
    void progress(std::size_t step, std::size_t total, double mean_loss, double elapsed, bool final);

    Module<T>& model_;
    Optimizer<T>& opt_;
    StepFn<T> step_fn_;
    TrainerOptions options_;
    Tape<T> tape_;
    Batch<T> batch_;
    std::size_t epoch_ = 0, global_step_ = 0;
    bool tty_;
    double last_print_ = -1;
};

extern template class Trainer<float>;
extern template class Trainer<double>;

}  // namespace gt::nn
