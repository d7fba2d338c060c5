#include "nn/gram_whiten.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autodiff/gemm.hpp"

namespace gt::nn {

namespace {
template <class T>
std::vector<Parameter<T>*> params_of(const std::unique_ptr<Optimizer<T>>& base) {
    if (!base) throw ValueError("gram_whiten: expected a base optimizer, got a null pointer");
    return base->parameters();
}
template <class T>
double lr_of(const std::unique_ptr<Optimizer<T>>& base) {
    return base ? base->lr() : 0.0;
}
}  // namespace

template <class T>
GramWhiten<T>::GramWhiten(std::unique_ptr<Optimizer<T>> base, GramWhitenOptions opt)
    : Optimizer<T>(params_of(base), lr_of(base), "gram_whiten"), base_(std::move(base)), opt_(opt) {
    check_hyper(opt.ns_steps >= 0, "gram_whiten", "ns_steps >= 0", opt.ns_steps);
    for (Parameter<T>* p : this->params_) {
        if (p->value.dimension() < 2) continue;
        Slot s;
        s.param = p;
        s.rows = p->value.shape(0);
        s.cols = p->value.size() / std::max<std::size_t>(s.rows, 1);
        s.w1.resize({s.rows, s.cols});
        s.a.resize({s.rows, s.rows});
        s.out.resize({s.rows, s.cols});
        slots_.push_back(std::move(s));
    }
    deviation_.assign(slots_.size(), std::numeric_limits<double>::quiet_NaN());
}

template <class T>
std::vector<std::string> GramWhiten<T>::whitened_names() const {
    std::vector<std::string> r;
    for (const Slot& s : slots_) r.push_back(s.param->name);
    return r;
}

template <class T>
void GramWhiten<T>::step() {
    for (Slot& s : slots_) std::copy(s.param->value.begin(), s.param->value.end(), s.w1.begin());  // W1
    base_->step();                                                                                  // → W2
    for (std::size_t k = 0; k < slots_.size(); ++k) {
        whiten(slots_[k]);
        if (opt_.track_deviation) deviation_[k] = deviation(slots_[k]);
        std::copy(slots_[k].out.begin(), slots_[k].out.end(), slots_[k].param->value.begin());  // W⁺
    }
}

template <class T>
void GramWhiten<T>::whiten(Slot& s) {
    const std::size_t m = s.rows, n = s.cols;
    const T* w2 = s.param->value.data();  // row-major (Cout, ...) viewed as (m, n)
    gemm_raw<T>(false, true, m, m, n, T(1), s.w1.data(), n, w2, n, T(0), s.a.data(), m);  // A = W1·W2ᵀ
    if (opt_.method == PolarMethod::SVD)
        svd_polar(s.a, s.q);
    else
        newton_schulz_polar(s.a, opt_.ns_steps, s.q, s.ws);
    gemm_raw<T>(false, false, m, n, m, T(1), s.q.data(), m, w2, n, T(0), s.out.data(), n);  // W⁺ = Q·W2
}

template <class T>
double GramWhiten<T>::deviation(Slot& s) {
    const std::size_t m = s.rows, n = s.cols;
    if (shape_of(s.g) != Shape{m, m}) {
        s.g.resize({m, m});
        s.e.resize({m, m});
        s.m.resize({m, m});
    }
    gemm_raw<T>(false, true, m, m, n, T(1), s.param->value.data(), n, s.param->value.data(), n, T(0), s.g.data(),
                m);                                                                             // G = W2·W2ᵀ
    gemm_raw<T>(true, false, m, m, m, T(1), s.q.data(), m, s.q.data(), m, T(0), s.e.data(), m);  // QᵀQ
    for (std::size_t i = 0; i < m; ++i) s.e.data()[i * m + i] -= T(1);                          // E = QᵀQ − I
    gemm_raw<T>(false, false, m, m, m, T(1), s.e.data(), m, s.g.data(), m, T(0), s.m.data(), m);  // M = E·G
    double num = 0, den = 0;
    const T* mp = s.m.data();
    const T* gp = s.g.data();
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t j = 0; j < m; ++j) {
            num += double(mp[i * m + j]) * double(mp[j * m + i]);  // tr(M·M) = tr(EGEG)
            den += double(gp[i * m + j]) * double(gp[i * m + j]);
        }
    return den > 0 ? std::sqrt(std::max(num, 0.0) / den) : 0.0;
}

template class GramWhiten<float>;
template class GramWhiten<double>;

}  // namespace gt::nn
