#include "nn/optimizer.hpp"

#include <set>
#include <sstream>

namespace gt::nn {

void check_hyper(bool ok, const char* who, const char* what, double value) {
    if (ok) return;
    std::ostringstream os;
    os << who << ": expected " << what << ", got " << value;
    throw ValueError(os.str());
}

template <class T>
Optimizer<T>::Optimizer(std::vector<Parameter<T>*> params, double lr, const char* kind)
    : params_(std::move(params)), lr_(lr), kind_(kind) {
    if (params_.empty()) throw ValueError(kind_ + ": expected at least one parameter, got an empty list");
    std::set<const Parameter<T>*> seen;
    for (std::size_t i = 0; i < params_.size(); ++i) {
        if (!params_[i]) throw ValueError(kind_ + ": parameter " + std::to_string(i) + " is a null pointer");
        if (!seen.insert(params_[i]).second)
            throw ValueError(kind_ + ": parameter '" + params_[i]->name + "' appears twice in the list");
    }
    check_hyper(lr >= 0, kind, "lr >= 0", lr);
}

template <class T>
void Optimizer<T>::set_lr(double lr) {
    check_hyper(lr >= 0, kind_.c_str(), "lr >= 0", lr);
    lr_ = lr;
}

template <class T>
void Optimizer<T>::zero_grad() {
    for (Parameter<T>* p : params_) p->zero_grad();
}

template <class T>
void Optimizer<T>::check_gradients(const char* who) const {
    for (const Parameter<T>* p : params_)
        if (p->grad.shape() != p->value.shape())
            throw ValueError(std::string(who) + ": gradient of '" + p->name + "' has shape " +
                             shape_str(shape_of(p->grad)) + ", expected the parameter's shape " +
                             shape_str(shape_of(p->value)));
}

template class Optimizer<float>;
template class Optimizer<double>;

}  // namespace gt::nn
