#include "datasets/labels.hpp"

#include <string>

namespace gt::data {

namespace {

void check_labels(const Labels& y, std::size_t num_classes, const char* where) {
    for (std::size_t i = 0; i < y.size(); ++i)
        if (y[i] < 0 || static_cast<std::size_t>(y[i]) >= num_classes)
            throw ValueError(std::string(where) + ": expected labels in [0, " + std::to_string(num_classes) +
                             "), found " + std::to_string(y[i]) + " at sample " + std::to_string(i));
}

}  // namespace

template <class T>
Tensor<T> one_hot(const Labels& y, std::size_t num_classes) {
    if (num_classes == 0) throw ValueError("one_hot: expected num_classes >= 1, found 0");
    check_labels(y, num_classes, "one_hot");
    Tensor<T> out = xt::zeros<T>(Shape{y.size(), num_classes});
    T* o = out.data();
    for (std::size_t i = 0; i < y.size(); ++i) o[i * num_classes + static_cast<std::size_t>(y[i])] = T(1);
    return out;
}

Labels randomize_labels(const Labels& y, std::size_t num_classes, double p, Rng& rng) {
    if (!(p >= 0.0 && p <= 1.0))
        throw ValueError("randomize_labels: expected probability p in [0, 1], found " + std::to_string(p));
    if (num_classes == 0) throw ValueError("randomize_labels: expected num_classes >= 1, found 0");
    check_labels(y, num_classes, "randomize_labels");
    Labels out = y;
    for (int& label : out)
        if (rng.uniform() < p) label = static_cast<int>(rng.below(num_classes));
    return out;
}

template Tensor<float> one_hot<float>(const Labels&, std::size_t);
template Tensor<double> one_hot<double>(const Labels&, std::size_t);

}  // namespace gt::data
