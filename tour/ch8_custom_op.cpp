// Chapter 8: write your own op. An op computes its output, appends one node to the tape, and hands the
// tape a backward function that *adds* g·∂y/∂x into its input's gradient. Here: swish(x) = x·σ(x),
// with ∂/∂x = σ(x) + x·σ(x)(1 − σ(x)). gt::gradcheck compares it with central differences, and it
// catches a backward that forgot a term.
#include <cmath>

#include "autodiff/autodiff.hpp"
#include "tour/tour.hpp"

double sig(double x) { return 1 / (1 + std::exp(-x)); }

// forgot_term = true drops the x·σ(1 − σ) part of the derivative: the kind of bug gradcheck is for.
gt::Var<double> swish(gt::Var<double> a, bool forgot_term = false) {
    gt::Tape<double>& t = gt::tape_of(a, "swish");
    gt::Var<double> out = t.push("swish", gt::shape_of(t.value(a)), {a});  // y has x's shape
    const gt::Tensor<double>& x = t.value(a);
    gt::Tensor<double>& y = t.mutable_value(out);
    for (std::size_t i = 0; i < x.size(); ++i) y.flat(i) = x.flat(i) * sig(x.flat(i));
    t.set_backward(out, [forgot_term](gt::Tape<double>& t, int self) {
        const int ia = t.parents(self)[0];
        const gt::Tensor<double>& x = t.value(ia);
        const gt::Tensor<double>& g = t.grad_of(self);  // ∂L/∂y, complete when this runs
        gt::Tensor<double>& gx = t.grad_acc(ia);         // ∂L/∂x: add, never overwrite
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double s = sig(x.flat(i));
            gx.flat(i) += g.flat(i) * (forgot_term ? s : s + x.flat(i) * s * (1 - s));
        }
    });
    return out;
}

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    gt::Rng rng(3);
    const auto x = tour::randn(rng, {8, 5}), w = tour::randn(rng, {4, 5});

    // Checked through a small layer, so the gradient also flows to W: out = swish(x Wᵀ) (8 × 4).
    double err[2];
    for (int bug = 0; bug < 2; ++bug) {
        const auto r = gt::gradcheck([bug](gt::Tape<double>&, const std::vector<gt::Var<double>>& in) {
            return swish(gt::linear(in[0], in[1]), bug == 1);
        }, {x, w});
        err[bug] = r.max_rel_error;
        fmt::print("{:<31} rel. error ∂/∂x {:.2e}   ∂/∂W {:.2e}\n", bug ? "swish, backward missing a term" : "swish",
                   r.rel_error[0], r.rel_error[1]);
    }
    gt::Tape<double> tape;  // the op in use: its node and gradient are there like any built-in op's
    auto v = tape.input(x, true);
    auto y = swish(v);
    tape.backward(gt::sum(y));
    fmt::print("\nnode #{} op '{}', shape {}; ∂Σy/∂x(0,0) = {:.6f}\n", y.index, tape.op(y), gt::shape_str(y.shape()),
               v.grad()(0, 0));
    return tour::verdict(check, err[0] < 1e-6 && err[1] > 1e-3,
                         fmt::format("gradcheck passes swish ({:.1e} < 1e-6) and catches the broken backward ({:.1e})",
                                     err[0], err[1]));
}
