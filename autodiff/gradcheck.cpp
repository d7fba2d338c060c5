#include "autodiff/gradcheck.hpp"

#include <cmath>
#include <string>

#include "autodiff/random.hpp"

namespace gt {

namespace {

// Σ R ⊙ f(inputs) on a fresh no-grad tape (R empty: f must be scalar).
double evaluate(const GradcheckFn& f, const std::vector<Tensor<double>>& inputs, const Tensor<double>& R) {
    Tape<double> t;
    NoGradGuard<double> guard(t);
    std::vector<Var<double>> xs;
    for (const auto& x : inputs) xs.push_back(t.input(x, true));
    const Tensor<double>& y = f(t, xs).value();
    if (y.size() != R.size())
        throw ShapeError("gradcheck: the function's output changed size from " + std::to_string(R.size()) + " to " +
                         std::to_string(y.size()) + " between evaluations");
    double s = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) s += R.data()[i] * y.data()[i];
    return s;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& f, const std::vector<Tensor<double>>& inputs,
                          const GradcheckOptions& opts) {
    if (!(opts.h > 0.0)) throw ValueError("gradcheck: step h must be positive, got " + std::to_string(opts.h));
    GradcheckResult r;
    // Analytic gradients from one backward pass.
    Tensor<double> R;
    {
        Tape<double> t;
        std::vector<Var<double>> xs;
        for (const auto& x : inputs) xs.push_back(t.input(x, true));
        Var<double> y = f(t, xs);
        t.check_var(y, "gradcheck");
        R.resize(y.value().shape());
        if (R.size() == 1) {
            R.fill(1.0);
        } else {
            Rng rng(opts.seed);
            for (std::size_t i = 0; i < R.size(); ++i) R.data()[i] = rng.normal();
        }
        r.analytic = t.grad(y, xs, R);
    }
    // Central differences, one coordinate at a time.
    std::vector<Tensor<double>> probe = inputs;
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        Tensor<double> num = xt::zeros<double>(inputs[k].shape());
        for (std::size_t i = 0; i < num.size(); ++i) {
            const double x0 = inputs[k].data()[i];
            probe[k].data()[i] = x0 + opts.h;
            const double up = evaluate(f, probe, R);
            probe[k].data()[i] = x0 - opts.h;
            const double down = evaluate(f, probe, R);
            probe[k].data()[i] = x0;
            num.data()[i] = (up - down) / (2.0 * opts.h);
        }
        double diff2 = 0.0, sum2 = 0.0;
        const Tensor<double>& g = r.analytic[k];
        for (std::size_t i = 0; i < num.size(); ++i) {
            const double a = g.data()[i], b = num.data()[i];
            diff2 += (a - b) * (a - b);
            sum2 += (a + b) * (a + b);
        }
        const double rel = sum2 > 0.0 ? std::sqrt(diff2 / sum2) : std::sqrt(diff2);
        r.rel_error.push_back(rel);
        r.abs_error.push_back(std::sqrt(diff2));
        r.max_rel_error = std::max(r.max_rel_error, rel);
        r.numeric.push_back(std::move(num));
    }
    return r;
}

}  // namespace gt
