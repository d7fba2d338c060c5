// Target Linearity (Definition 2, §1.4 and the reference code §3.2 of the notes):
//     T_λ(H, Y) = 1 − ‖Y − Ŷ_λ‖²_F / den,     Ŷ_λ = H (HᵀH + λI)⁻¹ HᵀY
// with H (N × d, samples as rows) and Y (N × C). There is no intercept column (H is not centred), but
// the denominator is centred:
//   * one column:  den = ‖Y − ȳ‖², ȳ the mean over samples;
//   * several columns, default (DenominatorCentring::RowMean): the reference code subtracts each
//     sample's mean over the columns, den = Σ_i ‖y_i − mean(y_i)·1‖². For a centred one-hot Y the row
//     sums are zero, so this equals ‖Y‖²_F; for e.g. centred pixels it is smaller than the paper's;
//   * several columns, DenominatorCentring::Column: the paper's reading, den = ‖Y − 1ȳᵀ‖²_F with ȳ the
//     per-column mean over samples.
// The d×d normal equations are solved by Cholesky (never an inverse, never N × N); if HᵀH + λI is not
// positive definite, 1e-5·I is added as the reference code does and the ridge used is reported.
#pragma once

#include "autodiff/tensor.hpp"

namespace gt::analysis {

enum class DenominatorCentring { RowMean, Column };

struct TlOptions {
    double lambda = 0.0;  // λ ≥ 0 (all the paper's experiments use 0)
    DenominatorCentring centring = DenominatorCentring::RowMean;
};

struct TlResult {
    double tl = 0.0;           // 1 − residual/total
    double residual_ss = 0.0;  // ‖Y − Ŷ_λ‖²_F
    double total_ss = 0.0;     // the centred denominator
    double ridge = 0.0;        // the multiple of I added to HᵀH (λ, plus 1e-5 if that was needed)
};

template <class T>
TlResult target_linearity(const Tensor<T>& h, const Tensor<T>& y, const TlOptions& options = {});

/// Single-target convenience: y has N entries (1-D) or is N × 1.
template <class T>
TlResult target_linearity_vector(const Tensor<T>& h, const Tensor<T>& y, const TlOptions& options = {});

/// One-hot labels (N × C) minus their column means (the classification target of §3.2). Throws
/// ValueError naming the sample if a label is outside [0, C).
template <class T>
Tensor<T> centred_one_hot(const Labels& labels, std::size_t num_classes);

/// The centred denominator of Y under the chosen centring (see above).
template <class T>
double centred_total(const Tensor<T>& y, DenominatorCentring centring);

}  // namespace gt::analysis
