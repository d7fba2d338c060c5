// A public gradient checker: compares the tape's gradients with central differences (double only).
//
//   auto r = gt::gradcheck([](gt::Tape<double>& t, const std::vector<gt::Var<double>>& x) {
//       return gt::sum(gt::gelu(gt::linear(x[0], x[1])));
//   }, {X, W});
//   // r.rel_error[i] = ‖g − ĝ‖ / ‖g + ĝ‖ for input i; r.max_rel_error over all inputs.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "autodiff/tape.hpp"

namespace gt {

/// Builds the output from the inputs, on the fresh tape it is given (the inputs live on it).
using GradcheckFn = std::function<Var<double>(Tape<double>& tape, const std::vector<Var<double>>& inputs)>;

struct GradcheckOptions {
    double h = 1e-6;          // central-difference step
    std::uint64_t seed = 7;   // for the random projection of a non-scalar output
};

struct GradcheckResult {
    std::vector<double> rel_error;  // per input: ‖g − ĝ‖ / ‖g + ĝ‖ (0 when both are zero)
    std::vector<double> abs_error;  // per input: ‖g − ĝ‖
    std::vector<Tensor<double>> analytic;  // g: the tape's gradients
    std::vector<Tensor<double>> numeric;   // ĝ: central differences
    double max_rel_error = 0.0;
};

/// Checks ∂f/∂inputs. A non-scalar output y is contracted with a fixed random tensor R (seeded by
/// opts.seed): the checked function is Σ R ⊙ y, and the tape is seeded with R as the upstream gradient.
/// Each evaluation of f runs on a fresh tape; numeric evaluations record no gradients.
GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& opts = {});

}  // namespace gt
