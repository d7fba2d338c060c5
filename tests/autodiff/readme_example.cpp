#include <iostream>
#include <xtensor/xio.hpp>
#include "autodiff/autodiff.hpp"

int main() {
    gt::Rng rng(0);
    auto rand = [&](gt::Shape s) { gt::Tensor<double> t(s); for (auto& v : t) v = rng.uniform(-1, 1); return t; };
    gt::Tensor<double> W1 = rand({8, 4}), W2 = rand({3, 8}), gW1, gW2;  // parameters (out, in)
    gt::Tape<double> tape;
    auto x = tape.input(rand({5, 4}));
    auto h = gt::gelu(gt::linear(x, tape.parameter(W1, gW1)));          // hidden features (5, 8)
    auto loss = gt::cross_entropy(gt::linear(h, tape.parameter(W2, gW2)), {0, 2, 1, 1, 0});
    tape.backward(loss);
    std::cout << "loss " << loss.item() << "\ndL/dh =\n" << tape.grad(h) << "\n";  // carries the 1/B factor
    // Eq. (1): W2ᵀ ∂L/∂W2 = (∂L/∂h)ᵀ h, both sides read from the tape
    gt::Tensor<double> lhs = gt::matmul_plain(W2, gW2, true), rhs = gt::matmul_plain(tape.grad(h), h.value(), true);
    double residual = xt::amax(xt::abs(lhs - rhs))();
    std::cout << "FL equation residual " << residual << "\n";
    return residual < 1e-12 ? 0 : 1;
}
