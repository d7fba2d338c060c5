// Chapter 8, exercises (a)–(c), as a program (docs/tour-answers.md §8).
// (a) A backward that writes `=` instead of `+=`: one use passes gradcheck, swish(v) + swish(v) fails.
// (b) swish as a template on T: the same op for float and double (checked in double).
// (c) gradcheck of relu at an input 1e-7 from its kink: the central difference (h = 1e-6) straddles it.
#include <cmath>

#include "autodiff/autodiff.hpp"
#include "tour/tour.hpp"

// (b): the chapter's swish with T for double; `overwrite` is exercise (a)'s bug.
template <class T>
gt::Var<T> swish(gt::Var<T> a, bool overwrite = false) {
    gt::Tape<T>& t = gt::tape_of(a, "swish");
    gt::Var<T> out = t.push("swish", gt::shape_of(t.value(a)), {a});
    const gt::Tensor<T>& x = t.value(a);
    gt::Tensor<T>& y = t.mutable_value(out);
    auto sig = [](T v) { return T(1) / (T(1) + std::exp(-v)); };
    for (std::size_t i = 0; i < x.size(); ++i) y.flat(i) = x.flat(i) * sig(x.flat(i));
    t.set_backward(out, [overwrite, sig](gt::Tape<T>& t, int self) {
        const int ia = t.parents(self)[0];
        const gt::Tensor<T>& x = t.value(ia);
        const gt::Tensor<T>& g = t.grad_of(self);
        gt::Tensor<T>& gx = t.grad_acc(ia);
        for (std::size_t i = 0; i < x.size(); ++i) {
            const T s = sig(x.flat(i)), d = g.flat(i) * (s + x.flat(i) * s * (1 - s));
            if (overwrite) gx.flat(i) = d; else gx.flat(i) += d;
        }
    });
    return out;
}

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    gt::Rng rng(3);
    const auto x = tour::randn(rng, {8, 5});
    using In = std::vector<gt::Var<double>>;
    const double once = gt::gradcheck([](gt::Tape<double>&, const In& v) { return swish(v[0], true); }, {x}).max_rel_error;
    const double twice = gt::gradcheck([](gt::Tape<double>&, const In& v) { return swish(v[0], true) + swish(v[0], true); }, {x}).max_rel_error;
    const double right = gt::gradcheck([](gt::Tape<double>&, const In& v) { return swish(v[0]) + swish(v[0]); }, {x}).max_rel_error;
    fmt::print("(a) `=` in the backward: one use {:.1e}, swish(v) + swish(v) {:.3f} (1/3 expected); with `+=` {:.1e}\n",
               once, twice, right);

    gt::Tape<float> tf;  // (b): the template in float
    auto vf = tf.input(gt::Tensor<float>(xt::cast<float>(x)), true);
    tf.backward(gt::sum(swish(vf)));
    fmt::print("(b) swish<float> runs: ∂Σy/∂x(0,0) = {:.6f}\n", double(vf.grad()(0, 0)));

    gt::Tensor<double> k = x;  // (c): one entry 1e-7 from relu's kink
    k(0, 0) = 1e-7;
    const auto r = gt::gradcheck([](gt::Tape<double>&, const In& v) { return gt::relu(v[0]); }, {k});
    fmt::print("(c) relu at 1e-7: numeric slope {:.2f}, tape 1, relative error {:.1e}\n", r.numeric[0](0, 0) / r.analytic[0](0, 0),
               r.max_rel_error);
    return tour::verdict(check, once < 1e-6 && std::abs(twice - 1.0 / 3) < 1e-3 && right < 1e-6 && r.max_rel_error > 1e-3,
                         "`=` passes once and fails twice; relu's gradcheck fails next to its kink");
}
