#include "analysis/streaming.hpp"

#include <algorithm>
#include <string>

#include "analysis/matrix.hpp"
#include "analysis/pca.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

template <class T>
LayerStatistics<T>::LayerStatistics(std::size_t d, std::size_t c, std::string name)
    : d_(d), c_(c), name_(std::move(name)), sum_y_(c, 0.0), sum_y2_(c, 0.0) {
    if (d == 0 || c == 0)
        throw ValueError("LayerStatistics (" + name_ + "): expected a positive width and target count, got d = " +
                         std::to_string(d) + ", c = " + std::to_string(c));
    hth_ = xt::zeros<T>({d, d});
    hty_ = xt::zeros<T>({d, c});
    sum_h_ = xt::zeros<T>({d});
}

template <class T>
void LayerStatistics<T>::add(const Tensor<T>& h, const Tensor<T>& y) {
    const std::string where = "LayerStatistics::add (" + name_ + ")";
    if (h.dimension() != 2 || y.dimension() != 2 || h.shape()[1] != d_ || y.shape()[1] != c_ ||
        h.shape()[0] != y.shape()[0])
        throw ShapeError(where + ": expected h (n × " + std::to_string(d_) + ") and y (n × " + std::to_string(c_) +
                         "), got h " + shape_str(shape_of(h)) + " and y " + shape_str(shape_of(y)));
    const std::size_t n = h.shape()[0];
    if (n == 0) return;
    syrk_raw<T>(true, d_, n, T(1), h.data(), d_, T(1), hth_.data(), d_);  // HᵀH is symmetric: half a GEMM
    gemm<T>(h, true, y, false, hty_, T(1), T(1), where.c_str());
    T* sum_h = sum_h_.data();
    for (std::size_t i = 0; i < n; ++i) {
        const T* row = h.data() + i * d_;
        for (std::size_t j = 0; j < d_; ++j) sum_h[j] += row[j];
    }
    for (std::size_t i = 0; i < n; ++i) {
        double row = 0.0, row2 = 0.0;
        for (std::size_t c = 0; c < c_; ++c) {
            const double v = double(y(i, c));
            sum_y_[c] += v;
            sum_y2_[c] += v * v;
            row += v;
            row2 += v * v;
        }
        row_centred_ss_ += row2 - row * row / double(c_);
    }
    n_ += n;
}

template <class T>
TlResult LayerStatistics<T>::target_linearity(const TlOptions& options, std::size_t pca_above,
                                              std::size_t pca_dim) const {
    const std::string where = "LayerStatistics::target_linearity (" + name_ + ")";
    if (n_ < 2) throw ValueError(where + ": expected at least 2 samples, got " + std::to_string(n_));
    Tensor<T> hth = hth_, hty = hty_;
    if (d_ > pca_above) {
        const Pca<T> p = pca_fit_from_moments(hth_, sum_h_, n_, pca_dim);
        hty = matmul_plain<T>(p.components, hty_, true, false, where.c_str());
        hth = matmul_plain<T>(matmul_plain<T>(p.components, hth_, true, false, where.c_str()), p.components, false,
                              false, where.c_str());
    }
    const NormalSolve<T> s = solve_normal_equations(hth, hty, options.lambda, where.c_str());
    // ‖Y − HB‖² = ‖Y‖² − 2 tr(Bᵀ HᵀY) + tr(Bᵀ HᵀH B)
    const Tensor<T> gb = matmul_plain<T>(hth, s.x, false, false, where.c_str());
    double yy = 0.0, cross = 0.0, quad = 0.0;
    for (std::size_t c = 0; c < c_; ++c) yy += sum_y2_[c];
    for (std::size_t i = 0; i < s.x.size(); ++i) {
        cross += double(s.x.data()[i]) * double(hty.data()[i]);
        quad += double(s.x.data()[i]) * double(gb.data()[i]);
    }
    TlResult r;
    r.ridge = s.ridge;
    r.residual_ss = std::max(0.0, yy - 2.0 * cross + quad);
    if (c_ == 1 || options.centring == DenominatorCentring::Column) {
        double total = 0.0;
        for (std::size_t c = 0; c < c_; ++c) total += sum_y2_[c] - sum_y_[c] * sum_y_[c] / double(n_);
        r.total_ss = total;
    } else {
        r.total_ss = row_centred_ss_;
    }
    if (!(r.total_ss > 0.0))
        throw ValueError(where + ": the centred target has zero variance (constant Y), TL is undefined");
    r.tl = 1.0 - r.residual_ss / r.total_ss;
    return r;
}

template <class T>
SurrogateResult LayerStatistics<T>::surrogate(const Tensor<T>& w, const SurrogateOptions& options) const {
    if (w.dimension() != 2 || w.shape()[1] != d_)
        throw ShapeError("LayerStatistics::surrogate (" + name_ + "): expected the next weight (out × " +
                         std::to_string(d_) + "), got " + shape_str(shape_of(w)));
    return surrogate_from_moments<T>(hth_, hty_, sum_h_, n_, w, options);
}

template class LayerStatistics<float>;
template class LayerStatistics<double>;

}  // namespace gt::analysis
