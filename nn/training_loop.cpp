#include "nn/training_loop.hpp"

namespace gt::nn {

namespace {
template <class T>
bool all_finite(const Tensor<T>& t) {
    for (std::size_t i = 0; i < t.size(); ++i)
        if (!std::isfinite(t.data()[i])) return false;
    return true;
}

std::string value_word(double v) { return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"); }
}  // namespace

template <class T>
std::string non_finite_parameters(const std::vector<Parameter<T>*>& params) {
    std::string values, grads;
    for (const Parameter<T>* p : params) {
        if (!all_finite(p->value)) values += (values.empty() ? "'" : ", '") + p->name + "'";
        if (p->grad.size() == p->value.size() && !all_finite(p->grad)) grads += (grads.empty() ? "'" : ", '") + p->name + "'";
    }
    return (values.empty() ? "" : "; non-finite values in " + values) + (grads.empty() ? "" : "; non-finite gradients in " + grads);
}

template <class T>
void check_finite_loss(const std::string& where, double loss, const std::vector<Parameter<T>*>& params) {
    if (std::isfinite(loss)) return;
    throw ValueError(where + ": loss became " + value_word(loss) + " (lower the learning rate)" + non_finite_parameters(params));
}

template std::string non_finite_parameters<float>(const std::vector<Parameter<float>*>&);
template std::string non_finite_parameters<double>(const std::vector<Parameter<double>*>&);
template void check_finite_loss<float>(const std::string&, double, const std::vector<Parameter<float>*>&);
template void check_finite_loss<double>(const std::string&, double, const std::vector<Parameter<double>*>&);

}  // namespace gt::nn
