#include "analysis/covariance_tracking.hpp"

#include <string>

#include "analysis/gram_shift.hpp"
#include "analysis/matrix.hpp"

namespace gt::analysis {

template <class T>
Tensor<T> samples_as_rows(const Tensor<T>& x, const char* where) {
    if (x.dimension() < 2)
        throw ShapeError(std::string(where) + ": expected per-sample data (N, ...), got " + shape_str(shape_of(x)));
    Tensor<T> m = x;
    m.reshape({x.shape()[0], x.size() / x.shape()[0]});
    return m;
}

template <class T>
VcsAccumulator<T>::VcsAccumulator(std::size_t d) {
    if (d == 0) throw ValueError("VcsAccumulator: expected a positive feature width, got 0");
    sum_ = xt::zeros<T>({d, d});
}

template <class T>
void VcsAccumulator<T>::add(const Tensor<T>& h, const Tensor<T>& dh, T gamma) {
    const char* where = "VcsAccumulator::add";
    const Tensor<T> rows = samples_as_rows(h, where);
    if (rows.shape()[1] != sum_.shape()[0])
        throw ShapeError(std::string(where) + ": expected features of width " + std::to_string(sum_.shape()[0]) +
                         ", got " + shape_str(shape_of(h)));
    const Tensor<T> plus = samples_as_rows(virtual_update(h, dh, gamma, where), where);
    sum_ += cross_rows(plus, plus, where) - cross_rows(rows, rows, where);
    ++steps_;
}

template <class T>
GramChange<T>::GramChange(const Tensor<T>& w0) {
    require_matrix(w0, "GramChange", "the initial weight W_0 (out × d)");
    g0_ = cross_rows(w0, w0, "GramChange");
}

template <class T>
Tensor<T> GramChange<T>::change(const Tensor<T>& w) const {
    require_matrix(w, "GramChange::change", "the weight W (out × d)");
    if (w.shape()[1] != g0_.shape()[0])
        throw ShapeError("GramChange::change: expected a weight with " + std::to_string(g0_.shape()[0]) +
                         " input columns, got " + shape_str(shape_of(w)));
    return cross_rows(w, w, "GramChange::change") - g0_;
}

template class VcsAccumulator<float>;
template class VcsAccumulator<double>;
template class GramChange<float>;
template class GramChange<double>;
template Tensor<float> samples_as_rows<float>(const Tensor<float>&, const char*);
template Tensor<double> samples_as_rows<double>(const Tensor<double>&, const char*);

}  // namespace gt::analysis
