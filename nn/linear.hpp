// Linear layer y = x·Wᵀ + b with PyTorch's layout (W is (out, in)) and default init.
#pragma once

#include <string>

#include "autodiff/random.hpp"
#include "autodiff/tape.hpp"
#include "nn/parameter.hpp"

namespace gt::nn {

/// How a layer draws its initial weights (biases always use the uniform default).
enum class Init { UniformFanIn, NormalFanIn };

template <class T>
class Linear : public Module<T> {
   public:
    /// weight (out, in) and bias (out) ~ U(±1/√in) from `rng` (weight first, then bias).
    /// Parameters are named "<name>.weight" and "<name>.bias" (just "weight"/"bias" without a name).
    /// Init::NormalFanIn draws the weight from N(0, 1/in) instead (staircase net).
    Linear(std::size_t in, std::size_t out, bool bias, Rng& rng, const std::string& name = "",
           Init init = Init::UniformFanIn);

    /// x (N, in) → (N, out), through gt::linear (one fused GEMM).
    Var<T> forward(Tape<T>& tape, Var<T> x);
    std::vector<Parameter<T>*> parameters() override;

    std::size_t in_features() const { return in_; }
    std::size_t out_features() const { return out_; }
    bool has_bias() const { return has_bias_; }

    Parameter<T> weight;
    Parameter<T> bias;  // empty (size 0) when the layer has no bias

   private:
    std::size_t in_, out_;
    bool has_bias_;
};

/// "<prefix>.<leaf>" or just "<leaf>" for an empty prefix.
std::string join_name(const std::string& prefix, const std::string& leaf);

extern template class Linear<float>;
extern template class Linear<double>;

}  // namespace gt::nn
