#include "nn/parameter.hpp"

namespace gt::nn {

template <class T>
Parameter<T>::Parameter(std::string n, Tensor<T> v) : name(std::move(n)), value(std::move(v)) {
    grad = Tensor<T>::from_shape(value.shape());
    grad.fill(T(0));
}

template <class T>
void Parameter<T>::zero_grad() {
    if (grad.shape() != value.shape()) grad.resize(value.shape());
    grad.fill(T(0));
}

template <class T>
void Module<T>::zero_grad() {
    for (Parameter<T>* p : parameters()) p->zero_grad();
}

template <class T>
std::size_t Module<T>::num_parameters() {
    std::size_t n = 0;
    for (Parameter<T>* p : parameters()) n += p->numel();
    return n;
}

template <class T>
Parameter<T>& Module<T>::parameter(const std::string& name) {
    std::string known;
    for (Parameter<T>* p : parameters()) {
        if (p->name == name) return *p;
        known += (known.empty() ? "" : ", ") + p->name;
    }
    throw ValueError("Module::parameter: no parameter named '" + name + "'; the module has: " + known);
}

template <class T>
void append_parameters(std::vector<Parameter<T>*>& out, Module<T>& m) {
    for (Parameter<T>* p : m.parameters()) out.push_back(p);
}

template struct Parameter<float>;
template struct Parameter<double>;
template class Module<float>;
template class Module<double>;
template void append_parameters(std::vector<Parameter<float>*>&, Module<float>&);
template void append_parameters(std::vector<Parameter<double>*>&, Module<double>&);

}  // namespace gt::nn
