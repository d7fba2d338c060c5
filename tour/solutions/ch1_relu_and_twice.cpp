// Chapter 1, exercises (a) and (b), as a program (docs/tour-answers.md §1).
// (a) With gt::relu instead of gt::tanh, only the activation's derivative changes in the by-hand part:
//     d_z = d_h ⊙ 1[z > 0].
// (b) A second tape.backward(loss) gives the same gradients of inputs and intermediate nodes: they are
//     reset at the start of every backward pass (only nn::Parameter gradients accumulate).
#include <xtensor/xmath.hpp>

#include "autodiff/autodiff.hpp"
#include "tour/tour.hpp"

using Mat = gt::Tensor<double>;

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    gt::Rng rng(1);  // the chapter's data
    const Mat x = tour::randn(rng, {4, 3}), w1 = tour::randn(rng, {5, 3}), w2 = tour::randn(rng, {1, 5}),
              y = tour::randn(rng, {4, 1});
    gt::Tape<double> tape;
    auto X = tape.input(x, true, "x"), W1 = tape.input(w1, true, "W1"), W2 = tape.input(w2, true, "W2");
    auto z = gt::linear(X, W1);
    auto h = gt::relu(z);  // (a): relu instead of tanh
    auto out = gt::linear(h, W2);
    auto loss = gt::mse(out, tape.input(y, false, "y"));
    tape.backward(loss);

    const Mat d_out = 2.0 * (out.value() - y) / double(y.size());
    const Mat d_h = gt::matmul_plain(d_out, w2);
    const Mat zv = z.value();
    const Mat d_z = d_h * xt::cast<double>(zv > 0.0);  // the one line that changes: relu' = 1[z > 0]
    const Mat d_w1 = gt::matmul_plain(d_z, x, true, false);
    const double diff_a = std::max(double(xt::amax(xt::abs(z.grad() - d_z))()), double(xt::amax(xt::abs(W1.grad() - d_w1))()));
    fmt::print("(a) relu: max |tape − by hand| over ∂L/∂z and ∂L/∂W1 = {:.1e}\n", diff_a);

    const Mat first = W1.grad(), first_h = h.grad();
    tape.backward(loss);  // (b): the same backward again
    const double diff_b = std::max(double(xt::amax(xt::abs(W1.grad() - first))()), double(xt::amax(xt::abs(h.grad() - first_h))()));
    fmt::print("(b) second backward: max change of ∂L/∂W1 and ∂L/∂h = {:.1e} (doubled would be {:.2e})\n", diff_b,
               double(xt::amax(xt::abs(first))()));
    return tour::verdict(check, diff_a < 1e-12 && diff_b == 0,
                         "relu needs only d_z = d_h ⊙ 1[z > 0]; a second backward repeats, it does not add");
}
