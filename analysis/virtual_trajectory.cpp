#include "analysis/virtual_trajectory.hpp"

#include "analysis/gram_shift.hpp"

namespace gt::analysis {

template <class T>
void VirtualTrajectory<T>::step(const Tensor<T>& grad_x, T gamma) {
    x_ = virtual_update(x_, grad_x, gamma, "VirtualTrajectory::step");
    ++steps_;
}

template class VirtualTrajectory<float>;
template class VirtualTrajectory<double>;

}  // namespace gt::analysis
