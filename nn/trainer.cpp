#include "nn/trainer.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include <unistd.h>

#include "nn/losses.hpp"

namespace gt::nn {

namespace {
/// "; non-finite values in 'a'; non-finite gradients in 'b'" (the parameters a bad step has reached), or "".
/// Called only after a loss is found non-finite, so the training loop pays nothing for it.
template <class T>
std::string non_finite_parameters(Module<T>& model) {
    auto finite = [](const Tensor<T>& t) {
        for (std::size_t i = 0; i < t.size(); ++i)
            if (!std::isfinite(t.data()[i])) return false;
        return true;
    };
    std::string values, grads;
    for (const Parameter<T>* p : model.parameters()) {
        if (!finite(p->value)) values += (values.empty() ? "'" : ", '") + p->name + "'";
        if (p->grad.size() == p->value.size() && !finite(p->grad)) grads += (grads.empty() ? "'" : ", '") + p->name + "'";
    }
    return (values.empty() ? "" : "; non-finite values in " + values) + (grads.empty() ? "" : "; non-finite gradients in " + grads);
}

double now_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}
}  // namespace

template <class T>
Trainer<T>::Trainer(Module<T>& model, Optimizer<T>& opt, StepFn<T> step_fn, TrainerOptions options)
    : model_(model), opt_(opt), step_fn_(std::move(step_fn)), options_(std::move(options)) {
    if (!step_fn_) throw ValueError("Trainer '" + options_.name + "': expected a step function, got none");
    tty_ = options_.stream && isatty(fileno(options_.stream));
}

template <class T>
EpochStats Trainer<T>::train_epoch(BatchSource<T>& src) {
    model_.train(true);
    EpochStats st;
    st.epoch = epoch_;
    std::size_t correct = 0;
    bool has_logits = false;
    const std::size_t total = src.num_batches();
    const double t0 = now_seconds();
    last_print_ = -1;
    src.start_epoch();
    double loss_sum = 0;
    for (std::size_t step = 0; src.next(batch_); ++step) {
        tape_.reset();
        opt_.zero_grad();
        const StepOutput<T> out = step_fn_(tape_, batch_);
        const double loss = double(out.loss.item());
        if (!std::isfinite(loss))
            throw ValueError("Trainer '" + options_.name + "': epoch " + std::to_string(epoch_) + ", step " +
                             std::to_string(step) + " (global step " + std::to_string(global_step_) +
                             "): loss is " + (std::isnan(loss) ? "nan" : "inf") + ", expected a finite value" +
                             non_finite_parameters(model_));
        tape_.backward(out.loss);
        const StepInfo<T> info{epoch_, step, global_step_, loss, tape_, batch_, out};
        if (on_after_backward) on_after_backward(info);
        opt_.step();
        if (on_step_end) on_step_end(info);

        const std::size_t b = batch_.size();
        loss_sum += loss * double(b);
        st.samples += b;
        if (out.logits.valid()) {
            has_logits = true;
            correct += count_correct(out.logits.value(), batch_.y);
        }
        ++st.steps;
        ++global_step_;
        if (options_.progress) progress(step + 1, total, loss_sum / double(st.samples), now_seconds() - t0, false);
    }
    st.seconds = now_seconds() - t0;
    st.loss = st.samples ? loss_sum / double(st.samples) : std::numeric_limits<double>::quiet_NaN();
    st.accuracy = has_logits && st.samples ? double(correct) / double(st.samples)
                                           : std::numeric_limits<double>::quiet_NaN();
    if (options_.progress) progress(st.steps, total, st.loss, st.seconds, true);
    ++epoch_;
    if (on_epoch_end) on_epoch_end(st);
    return st;
}

template <class T>
EvalStats Trainer<T>::evaluate(BatchSource<T>& src) {
    const bool was_training = model_.training();
    model_.eval();
    NoGradGuard<T> guard(tape_);
    EvalStats st;
    std::size_t correct = 0;
    bool has_logits = false;
    double loss_sum = 0;
    src.start_epoch();
    while (src.next(batch_)) {
        tape_.reset();
        const StepOutput<T> out = step_fn_(tape_, batch_);
        const std::size_t b = batch_.size();
        loss_sum += double(out.loss.item()) * double(b);
        st.samples += b;
        if (out.logits.valid()) {
            has_logits = true;
            correct += count_correct(out.logits.value(), batch_.y);
        }
    }
    tape_.reset();
    model_.train(was_training);
    st.loss = st.samples ? loss_sum / double(st.samples) : std::numeric_limits<double>::quiet_NaN();
    st.accuracy = has_logits && st.samples ? double(correct) / double(st.samples)
                                           : std::numeric_limits<double>::quiet_NaN();
    return st;
}

template <class T>
void Trainer<T>::progress(std::size_t step, std::size_t total, double mean_loss, double elapsed, bool final) {
    std::FILE* f = options_.stream;
    if (!f) return;
    const double rate = elapsed > 0 ? double(step) / elapsed : 0.0;
    const double eta = rate > 0 && total > step ? double(total - step) / rate : 0.0;
    if (tty_) {
        if (!final && elapsed - last_print_ < 0.1) return;  // at most 10 redraws per second
        last_print_ = elapsed;
        std::fprintf(f, "\r%s epoch %zu step %zu/%zu loss %.4f %.1f it/s ETA %.0fs   ", options_.name.c_str(), epoch_,
                     step, total, mean_loss, rate, eta);
        if (final) std::fprintf(f, "\n");
        std::fflush(f);
        return;
    }
    if (final || (options_.print_every && step % options_.print_every == 0)) {
        std::fprintf(f, "%s epoch %zu step %zu/%zu loss %.4f %.1f it/s %s %.1fs\n", options_.name.c_str(), epoch_,
                     step, total, mean_loss, rate, final ? "took" : "ETA", final ? elapsed : eta);
        std::fflush(f);
    }
}

template class Trainer<float>;
template class Trainer<double>;

}  // namespace gt::nn
