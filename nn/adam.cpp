#include "nn/adam.hpp"

#include <cmath>

namespace gt::nn {

AdamOptions adamw_defaults() {
    AdamOptions o;
    o.weight_decay = 0.01;
    return o;
}

template <class T>
Adam<T>::Adam(std::vector<Parameter<T>*> params, AdamOptions opt) : Adam(std::move(params), opt, false) {}

template <class T>
Adam<T>::Adam(std::vector<Parameter<T>*> params, AdamOptions opt, bool decoupled)
    : Optimizer<T>(std::move(params), opt.lr, decoupled ? "adamw" : "adam"), opt_(opt), decoupled_(decoupled) {
    const char* who = decoupled ? "adamw" : "adam";
    check_hyper(opt.beta1 >= 0 && opt.beta1 < 1, who, "0 <= beta1 < 1", opt.beta1);
    check_hyper(opt.beta2 >= 0 && opt.beta2 < 1, who, "0 <= beta2 < 1", opt.beta2);
    check_hyper(opt.eps >= 0, who, "eps >= 0", opt.eps);
    check_hyper(opt.weight_decay >= 0, who, "weight_decay >= 0", opt.weight_decay);
    for (Parameter<T>* p : this->params_) {
        m_.push_back(Tensor<T>::from_shape(p->value.shape()));
        m_.back().fill(T(0));
        v_.push_back(Tensor<T>::from_shape(p->value.shape()));
        v_.back().fill(T(0));
    }
}

template <class T>
void Adam<T>::step() {
    this->check_gradients(this->kind_.c_str());
    const std::uint64_t t = ++this->steps_;
    const double bc1 = 1.0 - std::pow(opt_.beta1, double(t)), bc2 = 1.0 - std::pow(opt_.beta2, double(t));
    const T step_size = T(this->lr_ / bc1), bc2_sqrt = T(std::sqrt(bc2)), eps = T(opt_.eps);
    const T b1 = T(opt_.beta1), b2 = T(opt_.beta2), wd = T(opt_.weight_decay);
    const T decay = T(1.0 - this->lr_ * opt_.weight_decay);  // AdamW's decoupled factor
    for (std::size_t k = 0; k < this->params_.size(); ++k) {
        Parameter<T>& p = *this->params_[k];
        T* w = p.value.data();
        const T* gp = p.grad.data();
        T* m = m_[k].data();
        T* v = v_[k].data();
        const std::size_t n = p.value.size();
        if (decoupled_ || wd == T(0)) {  // branch-free loop (vectorizes); the decay factor is 1 for Adam
            const T f = decoupled_ ? decay : T(1);
            for (std::size_t i = 0; i < n; ++i) {
                const T g = gp[i];
                w[i] *= f;
                m[i] = b1 * m[i] + (T(1) - b1) * g;
                v[i] = b2 * v[i] + (T(1) - b2) * g * g;
                w[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
            }
            continue;
        }
        for (std::size_t i = 0; i < n; ++i) {
            T g = gp[i];
            if (decoupled_)
                w[i] *= decay;
            else if (wd != T(0))
                g += wd * w[i];
            m[i] = b1 * m[i] + (T(1) - b1) * g;
            v[i] = b2 * v[i] + (T(1) - b2) * g * g;
            w[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + eps);
        }
    }
}

template <class T>
std::vector<StateTensor<T>> Adam<T>::state() {
    std::vector<StateTensor<T>> s;
    for (std::size_t k = 0; k < m_.size(); ++k) {
        s.push_back({this->kind_ + ".exp_avg." + this->params_[k]->name, &m_[k]});
        s.push_back({this->kind_ + ".exp_avg_sq." + this->params_[k]->name, &v_[k]});
    }
    return s;
}

template <class T>
AdamW<T>::AdamW(std::vector<Parameter<T>*> params, AdamOptions opt) : Adam<T>(std::move(params), opt, true) {}

template class Adam<float>;
template class Adam<double>;
template class AdamW<float>;
template class AdamW<double>;

}  // namespace gt::nn
