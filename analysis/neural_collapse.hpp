// Neural Collapse metrics (Papyan, Han & Donoho 2020) of last-layer features, used by Prop. 2:
//   NC1  = tr(Σ_W Σ_B⁺) / C               within-class variability relative to between-class spread
//   NC2  equinorm  = std_c ‖μ_c − μ_G‖ / mean_c ‖μ_c − μ_G‖   (std with C − 1, as torch.std)
//        equiangle = mean_{c≠c'} |cos(μ_c − μ_G, μ_c' − μ_G) + 1/(C − 1)|
//   NC3  = ‖W/‖W‖_F − M/‖M‖_F‖_F, M the C × d matrix of centred class means, W the C × d classifier
//   NC4  = fraction of samples where the nearest class centre and the classifier disagree.
// Σ_W = (1/N) Σ_i (h_i − μ_{y_i})(h_i − μ_{y_i})ᵀ, Σ_B = (1/C) Σ_c (μ_c − μ_G)(μ_c − μ_G)ᵀ, and Σ_B⁺ is
// the pseudo-inverse (eigenvalues below λ_max·d·ε(T) are dropped). All are 0 at perfect collapse onto a
// simplex equiangular tight frame with a self-dual classifier.
#pragma once

#include "autodiff/tensor.hpp"

namespace gt::analysis {

struct NeuralCollapse {
    double nc1 = 0.0;
    double nc2_equinorm = 0.0;
    double nc2_equiangular = 0.0;
    double nc3 = 0.0;
    double nc4 = 0.0;
};

/// h: N × d features; labels in [0, C), every class present; w: C × d classifier; b: (C,) bias, or a
/// default-constructed tensor for none.
template <class T>
NeuralCollapse neural_collapse(const Tensor<T>& h, const Labels& labels, std::size_t num_classes, const Tensor<T>& w,
                               const Tensor<T>& b = Tensor<T>());

}  // namespace gt::analysis
