#include "analysis/feature_learning.hpp"

#include <string>

#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

namespace {

template <class T>
void require_same_shape(const Tensor<T>& a, const Tensor<T>& b, const char* where, const char* what) {
    if (shape_of(a) != shape_of(b))
        throw ShapeError(std::string(where) + ": expected " + what + " and its gradient to have the same shape, got " +
                         shape_str(shape_of(a)) + " and " + shape_str(shape_of(b)));
}

}  // namespace

template <class T>
FlSides<T> feature_learning(const Tensor<T>& h, const Tensor<T>& dh, const Tensor<T>& w, const Tensor<T>& dw) {
    const char* where = "feature_learning";
    require_matrix(h, where, "the features h (N × d_in)");
    require_matrix(w, where, "the weight W (out × d_in)");
    require_same_shape(h, dh, where, "h");
    require_same_shape(w, dw, where, "W");
    if (h.shape()[1] != w.shape()[1])
        throw ShapeError(std::string(where) + ": expected h (N × d_in) and W (out × d_in) to share d_in, got h " +
                         shape_str(shape_of(h)) + " and W " + shape_str(shape_of(w)));
    FlSides<T> r;
    r.lhs = cross_rows(dh, h, where);                    // Σ_i ∇_{h_i}L h_iᵀ
    r.rhs = matmul_plain<T>(w, dw, true, false, where);  // Wᵀ ∇_W L
    r.residual = relative_residual(r.lhs, r.rhs, where);
    return r;
}

template <class T>
FlSides<T> feature_learning(const Tape<T>& tape, Var<T> h, Var<T> w) {
    return feature_learning<T>(tape.value(h), tape.grad(h), tape.value(w), tape.grad(w));
}

template <class T>
Tensor<T> patches_as_rows(const Tensor<T>& u, const char* where) {
    if (u.dimension() != 3)
        throw ShapeError(std::string(where) + ": expected unfolded patches (B, D, L), got " + shape_str(shape_of(u)));
    const std::size_t B = u.shape()[0], D = u.shape()[1], L = u.shape()[2];
    Tensor<T> rows = Tensor<T>::from_shape({B * L, D});
    const T* src = u.data();
    T* dst = rows.data();
    for (std::size_t b = 0; b < B; ++b)
        for (std::size_t d = 0; d < D; ++d)
            for (std::size_t l = 0; l < L; ++l) dst[(b * L + l) * D + d] = src[(b * D + d) * L + l];
    return rows;
}

template <class T>
Tensor<T> kernel_as_matrix(const Tensor<T>& w, const char* where) {
    if (w.dimension() < 2)
        throw ShapeError(std::string(where) + ": expected a kernel (Cout, Cin, kh, kw) or (Cout, D), got " +
                         shape_str(shape_of(w)));
    const std::size_t cout = w.shape()[0];
    Tensor<T> m = w;
    m.reshape({cout, w.size() / cout});
    return m;
}

template <class T>
FlSides<T> feature_learning_conv(const Tensor<T>& u, const Tensor<T>& du, const Tensor<T>& w, const Tensor<T>& dw) {
    const char* where = "feature_learning_conv";
    require_same_shape(u, du, where, "U");
    require_same_shape(w, dw, where, "the kernel");
    return feature_learning<T>(patches_as_rows(u, where), patches_as_rows(du, where), kernel_as_matrix(w, where),
                               kernel_as_matrix(dw, where));
}

template <class T>
FlSides<T> feature_learning_conv(const Tape<T>& tape, Var<T> u, Var<T> w) {
    return feature_learning_conv<T>(tape.value(u), tape.grad(u), tape.value(w), tape.grad(w));
}

#define GT_INSTANTIATE(T)                                                                                      \
    template struct FlSides<T>;                                                                               \
    template FlSides<T> feature_learning<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, const Tensor<T>&); \
    template FlSides<T> feature_learning<T>(const Tape<T>&, Var<T>, Var<T>);                                  \
    template FlSides<T> feature_learning_conv<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&,         \
                                                 const Tensor<T>&);                                           \
    template FlSides<T> feature_learning_conv<T>(const Tape<T>&, Var<T>, Var<T>);                             \
    template Tensor<T> patches_as_rows<T>(const Tensor<T>&, const char*);                                     \
    template Tensor<T> kernel_as_matrix<T>(const Tensor<T>&, const char*);
GT_INSTANTIATE(float)
GT_INSTANTIATE(double)
#undef GT_INSTANTIATE

}  // namespace gt::analysis
