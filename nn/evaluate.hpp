// Evaluation of a classifier without gradients: accuracy over a whole data set, in batches.
#pragma once

#include <algorithm>

#include "autodiff/autodiff.hpp"
#include "nn/losses.hpp"

namespace gt::nn {

/// Fraction of rows of x (n, ...) whose arg-max logit equals the label (first maximum on ties), with
/// model.forward(tape, input).logits on batches of `batch` rows shaped (b, sample...), under NoGradGuard.
template <class T, class Model>
double accuracy(Model& model, const Tensor<T>& x, const Labels& y, const Shape& sample, std::size_t batch) {
    const std::size_t n = y.size(), per = numel(sample);
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    std::size_t correct = 0;
    for (std::size_t s = 0; s < n; s += batch) {
        const std::size_t b = std::min(batch, n - s);
        tape.reset();
        Shape shape{b};
        shape.insert(shape.end(), sample.begin(), sample.end());
        Tensor<T> xb = Tensor<T>::from_shape(shape);
        std::copy(x.data() + s * per, x.data() + (s + b) * per, xb.data());
        const auto out = model.forward(tape, tape.input(std::move(xb)));
        correct += count_correct(out.logits.value(), Labels(y.begin() + s, y.begin() + s + b));
    }
    return n ? static_cast<double>(correct) / n : 0.0;
}

}  // namespace gt::nn
