// Layer-wise statistics accumulated batch by batch, so that Target Linearity and the surrogate over a
// whole data set need O(d² + d·C) memory instead of the N × d feature matrix:
//     HᵀH, HᵀY, Σh, Σ_c-wise Σy and Σy², the row-centred Σ_i ‖y_i − mean(y_i)‖², and N.
// Finishing gives the same numbers as the one-shot functions (target_linearity.hpp, surrogate.hpp),
// with ‖Y − HB‖² expanded as ‖Y‖² − 2 tr(Bᵀ HᵀY) + tr(Bᵀ HᵀH B).
// The surrogate Σ_c ‖W Hᵀ y_c‖² needs only HᵀY; ‖Z‖² and the PCA of Z (out > 1000) need HᵀH and Σh.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "analysis/surrogate.hpp"
#include "analysis/target_linearity.hpp"

namespace gt::analysis {

template <class T>
class LayerStatistics {
   public:
    /// d: feature width, c: target columns. `name` appears in error messages (e.g. "layer 2").
    LayerStatistics(std::size_t d, std::size_t c, std::string name = "layer");

    /// Adds a batch: h (n × d) features with their target rows y (n × c).
    void add(const Tensor<T>& h, const Tensor<T>& y);

    /// TL of the accumulated layer. With d > pca_above the features are first projected onto their
    /// top pca_dim principal components (the reference code uses 1000 → 256), computed from the
    /// moments: (HV)ᵀ(HV) = VᵀHᵀHV and (HV)ᵀY = VᵀHᵀY. The default never projects.
    TlResult target_linearity(const TlOptions& options = {},
                              std::size_t pca_above = std::numeric_limits<std::size_t>::max(),
                              std::size_t pca_dim = 256) const;
    /// W: the next layer's weight (out × d).
    SurrogateResult surrogate(const Tensor<T>& w, const SurrogateOptions& options = {}) const;

    std::size_t samples() const { return n_; }
    const Tensor<T>& hth() const { return hth_; }
    const Tensor<T>& hty() const { return hty_; }

   private:
    std::size_t d_, c_;
    std::string name_;
    std::size_t n_ = 0;
    Tensor<T> hth_, hty_, sum_h_;
    std::vector<double> sum_y_, sum_y2_;  // per target column, in double
    double row_centred_ss_ = 0.0;         // Σ_i ‖y_i − mean(y_i)‖² (the reference code's denominator)
};

}  // namespace gt::analysis
