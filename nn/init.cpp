#include "nn/init.hpp"

#include <cmath>
#include <string>

namespace gt::nn {

namespace {
void check_fan_in(std::size_t fan_in, const char* where) {
    if (fan_in == 0) throw ValueError(std::string(where) + ": expected fan_in > 0, got 0");
}
}  // namespace

template <class T>
void init_uniform_fan_in(Tensor<T>& t, std::size_t fan_in, Rng& rng) {
    check_fan_in(fan_in, "init_uniform_fan_in");
    const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (T& v : t) v = static_cast<T>(rng.uniform(-bound, bound));
}

template <class T>
void init_normal_fan_in(Tensor<T>& t, std::size_t fan_in, Rng& rng) {
    check_fan_in(fan_in, "init_normal_fan_in");
    const double sd = 1.0 / std::sqrt(static_cast<double>(fan_in));
    for (T& v : t) v = static_cast<T>(rng.normal(0.0, sd));
}

template void init_uniform_fan_in(Tensor<float>&, std::size_t, Rng&);
template void init_uniform_fan_in(Tensor<double>&, std::size_t, Rng&);
template void init_normal_fan_in(Tensor<float>&, std::size_t, Rng&);
template void init_normal_fan_in(Tensor<double>&, std::size_t, Rng&);

}  // namespace gt::nn
