// The surrogate of Sec. 1.5 / 4.3 with the linearized Gram G_id = Hᵀ WᵀW H (paper notation):
//     S = tr(Yᵀ G_id Y) = Σ_c ‖Zᵀ y_c‖²,    Z = H Wᵀ (N × out, samples as rows, no bias),
// computed as ‖W (HᵀY)‖²_F, never through the N × N matrix Z Zᵀ the reference code forms.
// Also reported: the reference code's class mean S / C and ‖Z‖²_F. As in that code, when out > 1000
// Z is first projected onto its top-256 principal components (see pca.hpp for the method).
#pragma once

#include "autodiff/tensor.hpp"

namespace gt::analysis {

struct SurrogateOptions {
    std::size_t pca_above = 1000;  // project Z when its width exceeds this
    std::size_t pca_dim = 256;
};

struct SurrogateResult {
    double s = 0.0;          // Σ_c ‖Zᵀy_c‖² (the paper's S_cls)
    double s_mean = 0.0;     // S / C (the reference code's value)
    double z_norm2 = 0.0;    // ‖Z‖²_F
    std::size_t width = 0;   // columns of Z used (out, or pca_dim after projection)
};

/// h: N × d features, w: out × d next-layer weight, y: N × C target (centred one-hot for classes).
template <class T>
SurrogateResult surrogate(const Tensor<T>& h, const Tensor<T>& w, const Tensor<T>& y, const SurrogateOptions& o = {});

/// The same from moments: HᵀH (d × d), HᵀY (d × C), Σh (d,) and N (used by streaming statistics).
template <class T>
SurrogateResult surrogate_from_moments(const Tensor<T>& hth, const Tensor<T>& hty, const Tensor<T>& sum_h,
                                       std::size_t n, const Tensor<T>& w, const SurrogateOptions& o = {});

}  // namespace gt::analysis
