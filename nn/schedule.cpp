#include "nn/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace gt::nn {

template <class T>
double clip_grad_norm(const std::vector<Parameter<T>*>& params, double max_norm) {
    if (!(max_norm >= 0.0) || !std::isfinite(max_norm))
        throw ValueError("clip_grad_norm: expected a finite max_norm >= 0, got " + std::to_string(max_norm));
    double sq = 0.0;
    for (const Parameter<T>* p : params)
        for (const T g : p->grad) sq += double(g) * double(g);
    const double total = std::sqrt(sq);
    const double coef = max_norm / (total + 1e-6);
    if (std::isfinite(total) && coef < 1.0)
        for (Parameter<T>* p : params)
            for (T& g : p->grad) g = static_cast<T>(g * coef);
    return total;
}

double linear_warmup_decay(long step, long warmup_steps, long total_steps) {
    if (step < 0 || warmup_steps < 0 || total_steps < 0)
        throw ValueError("linear_warmup_decay: expected step, warmup_steps and total_steps >= 0, got " +
                         std::to_string(step) + ", " + std::to_string(warmup_steps) + ", " + std::to_string(total_steps));
    if (step < warmup_steps) return double(step) / double(std::max(1L, warmup_steps));
    return std::max(0.0, double(total_steps - step) / double(std::max(1L, total_steps - warmup_steps)));
}

template double clip_grad_norm(const std::vector<Parameter<float>*>&, double);
template double clip_grad_norm(const std::vector<Parameter<double>*>&, double);

}  // namespace gt::nn
