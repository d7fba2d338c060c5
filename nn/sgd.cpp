#include "nn/sgd.hpp"

namespace gt::nn {

template <class T>
SGD<T>::SGD(std::vector<Parameter<T>*> params, SGDOptions opt) : Optimizer<T>(std::move(params), opt.lr, "sgd"), opt_(opt) {
    check_hyper(opt.momentum >= 0, "sgd", "momentum >= 0", opt.momentum);
    check_hyper(opt.weight_decay >= 0, "sgd", "weight_decay >= 0", opt.weight_decay);
    check_hyper(!opt.nesterov || opt.momentum > 0, "sgd", "momentum > 0 with nesterov", opt.momentum);
    if (opt.momentum > 0)
        for (Parameter<T>* p : this->params_) {
            buf_.push_back(Tensor<T>::from_shape(p->value.shape()));
            buf_.back().fill(T(0));
        }
}

template <class T>
void SGD<T>::step() {
    this->check_gradients("sgd");
    const T lr = T(this->lr_), mu = T(opt_.momentum), wd = T(opt_.weight_decay);
    const bool first = this->steps_ == 0;
    for (std::size_t k = 0; k < this->params_.size(); ++k) {
        Parameter<T>& p = *this->params_[k];
        T* w = p.value.data();
        const T* g = p.grad.data();
        const std::size_t n = p.value.size();
        if (opt_.momentum > 0 && wd == T(0) && !opt_.nesterov) {  // the common case, branch-free (vectorized)
            T* b = buf_[k].data();
            if (first)
                for (std::size_t i = 0; i < n; ++i) {
                    b[i] = g[i];
                    w[i] -= lr * b[i];
                }
            else
                for (std::size_t i = 0; i < n; ++i) {
                    b[i] = mu * b[i] + g[i];
                    w[i] -= lr * b[i];
                }
        } else if (opt_.momentum > 0) {
            T* b = buf_[k].data();
            for (std::size_t i = 0; i < n; ++i) {
                const T d = wd != T(0) ? g[i] + wd * w[i] : g[i];
                b[i] = first ? d : mu * b[i] + d;
                w[i] -= lr * (opt_.nesterov ? d + mu * b[i] : b[i]);
            }
        } else {
            for (std::size_t i = 0; i < n; ++i) w[i] -= lr * (wd != T(0) ? g[i] + wd * w[i] : g[i]);
        }
    }
    ++this->steps_;
}

template <class T>
std::vector<StateTensor<T>> SGD<T>::state() {
    std::vector<StateTensor<T>> s;
    for (std::size_t k = 0; k < buf_.size(); ++k)
        s.push_back({"sgd.momentum_buffer." + this->params_[k]->name, &buf_[k]});
    return s;
}

template class SGD<float>;
template class SGD<double>;

}  // namespace gt::nn
