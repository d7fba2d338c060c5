#include "nn/losses.hpp"

#include <string>

#include "autodiff/ops_elementwise.hpp"
#include "nn/vae_ops.hpp"

namespace gt::nn {

template <class T>
Var<T> cross_entropy_loss(Var<T> logits, const Labels& labels) {
    return gt::cross_entropy(logits, labels);
}

template <class T>
Var<T> mse_loss(Var<T> pred, Var<T> target) {
    return gt::mse(pred, target);
}

template <class T>
Var<T> bce_loss(Var<T> prob, Var<T> target, Reduction r) {
    return gt::binary_cross_entropy(prob, target, r);
}

template <class T>
Var<T> gaussian_kl_loss(Var<T> mu, Var<T> logvar) {
    return nn::gaussian_kl(mu, logvar);
}

template <class T>
Var<T> vae_loss(Var<T> recon, Var<T> x, Var<T> mu, Var<T> logvar, T beta) {
    const TensorShape& s = x.value().shape();
    if (s.size() != 2 || s[0] == 0)
        throw ShapeError("vae_loss: expected x as a non-empty batch (B, D), got " + shape_str(to_shape(s)));
    const Var<T> recon_term = mul_scalar(gt::binary_cross_entropy(recon, x, Reduction::Sum), T(1) / T(s[0]));
    return add(recon_term, mul_scalar(nn::gaussian_kl(mu, logvar), beta));
}

template <class T>
std::size_t count_correct(const Tensor<T>& logits, const Labels& labels) {
    if (logits.dimension() != 2 || logits.shape(0) != labels.size())
        throw ShapeError("count_correct: expected logits (" + std::to_string(labels.size()) +
                         ", C) for that many labels, got " + shape_str(shape_of(logits)));
    const std::size_t n = logits.shape(0), c = logits.shape(1);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const T* row = logits.data() + i * c;
        std::size_t best = 0;
        for (std::size_t j = 1; j < c; ++j)
            if (row[j] > row[best]) best = j;
        if (static_cast<int>(best) == labels[i]) ++correct;
    }
    return correct;
}

#define GT_NN_LOSSES(T)                                                      \
    template Var<T> cross_entropy_loss(Var<T>, const Labels&);               \
    template Var<T> mse_loss(Var<T>, Var<T>);                                \
    template Var<T> bce_loss(Var<T>, Var<T>, Reduction);                     \
    template Var<T> gaussian_kl_loss(Var<T>, Var<T>);                        \
    template Var<T> vae_loss(Var<T>, Var<T>, Var<T>, Var<T>, T);             \
    template std::size_t count_correct(const Tensor<T>&, const Labels&);
GT_NN_LOSSES(float)
GT_NN_LOSSES(double)
#undef GT_NN_LOSSES

}  // namespace gt::nn
