// Chapter 1: a tape records the forward pass; one backward pass leaves the gradient of every node
// readable, a hidden layer's included. We compare the tape's ∇_h L with the chain rule done by hand.
#include <xtensor/xmath.hpp>
#include <xtensor/xnorm.hpp>

#include "autodiff/autodiff.hpp"
#include "tour/tour.hpp"

using Mat = gt::Tensor<double>;

int main(int argc, char** argv) {
    const bool check = tour::start(argc, argv);
    gt::Rng rng(1);
    const Mat x = tour::randn(rng, {4, 3}), w1 = tour::randn(rng, {5, 3}), w2 = tour::randn(rng, {1, 5}),
              y = tour::randn(rng, {4, 1});

    // Forward: every op appends one node to the tape. Leaves that ask for a gradient get one.
    gt::Tape<double> tape;
    auto X = tape.input(x, true, "x"), W1 = tape.input(w1, true, "W1"), W2 = tape.input(w2, true, "W2");
    auto Y = tape.input(y, false, "y");
    auto z = gt::linear(X, W1);    // z = x W1ᵀ        (4×5)
    auto h = gt::tanh(z);          // the hidden layer (4×5)
    auto out = gt::linear(h, W2);  // out = h W2ᵀ      (4×1)
    auto loss = gt::mse(out, Y);   // mean of (out − y)²
    tape.backward(loss);           // one reverse loop over the nodes

    fmt::print("The tape ({} nodes, in creation order = a topological order):\n", tape.size());
    for (int i = 0; i < static_cast<int>(tape.size()); ++i) {
        gt::Var<double> v{&tape, i};
        fmt::print("  #{}  {:<6} {:<4} shape {}\n", i, tape.op(v), tape.name(v), gt::shape_str(v.shape()));
    }

    // The same gradients by hand, backwards through the chain rule.
    const Mat d_out = 2.0 * (out.value() - y) / double(y.size());      // ∂L/∂out
    const Mat d_h = gt::matmul_plain(d_out, w2);                        // ∂L/∂h  = ∂L/∂out · W2
    const Mat hv = h.value();
    const Mat d_z = d_h * (1.0 - hv * hv);                              // tanh' = 1 − h²
    const Mat d_w1 = gt::matmul_plain(d_z, x, true, false);             // ∂L/∂W1 = ∂L/∂zᵀ · x
    const Mat d_x = gt::matmul_plain(d_z, w1);                          // ∂L/∂x  = ∂L/∂z · W1

    fmt::print("\nloss = {:.6f}\n\n{:<4} {:>10} {:>22}\n", loss.item(), "node", "‖grad‖", "max |tape − by hand|");
    double worst = 0;
    auto row = [&](const char* name, gt::Var<double> v, const Mat& by_hand) {
        const double diff = xt::amax(xt::abs(v.grad() - by_hand))();
        worst = std::max(worst, diff);
        fmt::print("{:<4} {:>10.6f} {:>22.2e}\n", name, double(xt::norm_l2(v.grad())()), diff);
    };
    row("h", h, d_h);
    row("z", z, d_z);
    row("W1", W1, d_w1);
    row("x", X, d_x);
    fmt::print("\n∂L/∂h, the hidden layer's gradient, row 0: ");
    for (std::size_t j = 0; j < 5; ++j) fmt::print("{:+.5f} ", h.grad()(0, j));
    fmt::print("\n");
    return tour::verdict(check, worst < 1e-12,
                         fmt::format("the tape's gradients equal the hand-derived chain rule (max diff {:.1e} < 1e-12)", worst));
}
