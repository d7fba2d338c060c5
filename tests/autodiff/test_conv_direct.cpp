// The direct 3×3 convolution (autodiff/conv_direct.*) against the im2col + GEMM path, and its own
// float64 gradient check; the gradient buffers that ReLU, 2×2 max-pool and conv2d write without a
// zero-fill first (Tape::grad_write), also when another op has already added into them.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cmath>
#include <utility>
#include <string>
#include <vector>

#include "autodiff/conv_direct.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt_test;

namespace {

// Selects a conv2d implementation for the lifetime of the guard.
struct AlgoGuard {
    ConvAlgorithm before = conv_algorithm();
    explicit AlgoGuard(ConvAlgorithm a) { set_conv_algorithm(a); }
    ~AlgoGuard() { set_conv_algorithm(before); }
};

template <class T>
Tensor<T> cast(const Tensor<double>& a) {
    Tensor<T> r = Tensor<T>::from_shape(a.shape());
    for (std::size_t i = 0; i < a.size(); ++i) r.data()[i] = T(a.data()[i]);
    return r;
}

Tensor<double> widen(const Tensor<float>& a) {
    Tensor<double> r = Tensor<double>::from_shape(a.shape());
    for (std::size_t i = 0; i < a.size(); ++i) r.data()[i] = double(a.data()[i]);
    return r;
}
const Tensor<double>& widen(const Tensor<double>& a) { return a; }

struct ConvResult {
    Tensor<double> y, gx, gw, gb;
};

// L = Σ conv2d(x, w, b)·R  (+ Σ x·S when x_also_elsewhere: ∂x then has an earlier writer, and the
// conv's input gradient must add to it rather than overwrite it).
template <class T>
ConvResult run_conv(ConvAlgorithm algo, const Tensor<double>& x, const Tensor<double>& w, const Tensor<double>& b,
                    const Tensor<double>& R, const Tensor<double>& S, bool with_bias, bool x_also_elsewhere) {
    AlgoGuard guard(algo);
    Tape<T> t;
    Var<T> xv = t.input(cast<T>(x), true);
    Var<T> wv = t.input(cast<T>(w), true);
    Var<T> bv = with_bias ? t.input(cast<T>(b), true) : Var<T>{};
    Var<T> y = conv2d(xv, wv, bv, 1, 1);
    Var<T> loss = sum(mul(y, t.input(cast<T>(R))));
    if (x_also_elsewhere) loss = add(sum(mul(xv, t.input(cast<T>(S)))), loss);
    t.backward(loss);
    ConvResult r{widen(y.value()), widen(xv.grad()), widen(wv.grad()), {}};
    if (with_bias) r.gb = widen(bv.grad());
    return r;
}

template <class T>
void compare_paths(std::size_t B, std::size_t Cin, std::size_t Cout, std::size_t H, std::size_t W, bool with_bias,
                   bool x_also_elsewhere, double tol, Rng& rng) {
    const Tensor<double> x = uniform(rng, {B, Cin, H, W}), w = uniform(rng, {Cout, Cin, 3, 3}),
                         b = uniform(rng, {Cout}), R = uniform(rng, {B, Cout, H, W}), S = uniform(rng, {B, Cin, H, W});
    const ConvResult d = run_conv<T>(ConvAlgorithm::Direct, x, w, b, R, S, with_bias, x_also_elsewhere);
    const ConvResult g = run_conv<T>(ConvAlgorithm::Im2col, x, w, b, R, S, with_bias, x_also_elsewhere);
    const std::string what = std::string(sizeof(T) == 4 ? "float" : "double") + " B=" + std::to_string(B) +
                             " Cin=" + std::to_string(Cin) + " Cout=" + std::to_string(Cout) + " H=" +
                             std::to_string(H) + " W=" + std::to_string(W) + (with_bias ? " bias" : "") +
                             (x_also_elsewhere ? " x-shared" : "");
    BOOST_TEST(rel_diff(d.y, g.y) < tol, what << ": y differs by " << rel_diff(d.y, g.y));
    BOOST_TEST(rel_diff(d.gx, g.gx) < tol, what << ": ∂x differs by " << rel_diff(d.gx, g.gx));
    BOOST_TEST(rel_diff(d.gw, g.gw) < tol, what << ": ∂w differs by " << rel_diff(d.gw, g.gw));
    if (with_bias) BOOST_TEST(rel_diff(d.gb, g.gb) < tol, what << ": ∂b differs by " << rel_diff(d.gb, g.gb));
}

bool skip_without_kernel() {
    if (gt::conv_direct::available()) return false;
    BOOST_TEST_MESSAGE("this CPU has no AVX-512F: conv2d always runs im2col, nothing to compare");
    return true;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(conv_direct_kernel)

BOOST_AUTO_TEST_CASE(selection_follows_the_setting) {
    AlgoGuard guard(ConvAlgorithm::Auto);
    BOOST_TEST(!conv2d_uses_direct(16, 16, 3, 3, 2, 1));  // stride 2
    BOOST_TEST(!conv2d_uses_direct(16, 16, 3, 3, 1, 0));  // no padding
    BOOST_TEST(!conv2d_uses_direct(16, 16, 5, 5, 1, 1));  // 5×5
    BOOST_TEST(conv2d_uses_direct(16, 16, 3, 3, 1, 1) == gt::conv_direct::available());
    BOOST_TEST(!conv2d_uses_direct(64, 128, 3, 3, 1, 1));  // large channel counts stay on the GEMM
    set_conv_algorithm(ConvAlgorithm::Im2col);
    BOOST_TEST(!conv2d_uses_direct(16, 16, 3, 3, 1, 1));
    set_conv_algorithm(ConvAlgorithm::Direct);
    BOOST_TEST(conv2d_uses_direct(64, 128, 3, 3, 1, 1) == gt::conv_direct::available());
}

BOOST_AUTO_TEST_CASE(matches_im2col_on_random_shapes) {
    if (skip_without_kernel()) return;
    Rng rng(2024);
    // The CNN's own shapes, then odd sizes, Cin = 1, batch 1, widths below, at and beyond one vector
    // (8 doubles / 16 floats), channel counts that leave every block size of the kernel a remainder.
    struct Case {
        std::size_t B, Cin, Cout, H, W;
    };
    const std::vector<Case> cases = {{3, 1, 16, 28, 28}, {2, 16, 16, 14, 14}, {2, 16, 16, 7, 7}, {1, 1, 1, 1, 1},
                                     {1, 1, 3, 5, 7},    {2, 3, 31, 9, 17},   {1, 5, 16, 2, 33}, {3, 2, 7, 11, 1},
                                     {1, 17, 5, 6, 16},  {2, 4, 40, 3, 8}};
    for (const auto& c : cases)
        for (int variant = 0; variant < 4; ++variant) {
            const bool with_bias = variant % 2 == 0, shared = variant / 2 == 1;
            compare_paths<float>(c.B, c.Cin, c.Cout, c.H, c.W, with_bias, shared, 2e-5, rng);
            compare_paths<double>(c.B, c.Cin, c.Cout, c.H, c.W, with_bias, shared, 1e-12, rng);
        }
    // a few more drawn at random
    auto draw = [&rng](std::size_t hi) { return std::size_t(rng.below(hi)) + 1; };  // 1..hi
    for (int k = 0; k < 12; ++k) {
        const std::size_t B = draw(4), Cin = draw(20), Cout = draw(20), H = draw(19), W = draw(19);
        compare_paths<float>(B, Cin, Cout, H, W, k % 2 == 0, k % 3 == 0, 2e-5, rng);
        compare_paths<double>(B, Cin, Cout, H, W, k % 2 == 1, k % 3 == 1, 1e-12, rng);
    }
}

// With 2 threads the direct kernels split the batch (autodiff/parallel.hpp): the output and ∂x are
// computed per image exactly as with 1 thread, ∂w and ∂b sum the two halves' partials in a fixed order;
// odd batches split unevenly and a batch of 1 runs on one thread.
BOOST_AUTO_TEST_CASE(two_threads_split_the_batch_with_the_same_results) {
    if (skip_without_kernel()) return;
    struct ThreadGuard {
        int before = num_threads();
        ~ThreadGuard() { set_num_threads(before); }
    } restore;
    Rng rng(7);
    for (const std::size_t B : {std::size_t(1), std::size_t(2), std::size_t(5), std::size_t(64)}) {
        const std::size_t Cin = 3, Cout = 16, H = 14, W = 13;
        const Tensor<double> x = uniform(rng, {B, Cin, H, W}), w = uniform(rng, {Cout, Cin, 3, 3}),
                             b = uniform(rng, {Cout}), R = uniform(rng, {B, Cout, H, W}),
                             S = uniform(rng, {B, Cin, H, W});
        for (const bool shared : {false, true}) {
            set_num_threads(1);
            const ConvResult one = run_conv<float>(ConvAlgorithm::Direct, x, w, b, R, S, true, shared);
            const ConvResult one_d = run_conv<double>(ConvAlgorithm::Direct, x, w, b, R, S, true, shared);
            set_num_threads(2);
            BOOST_TEST(num_threads() == 2);
            const ConvResult two = run_conv<float>(ConvAlgorithm::Direct, x, w, b, R, S, true, shared);
            const ConvResult two_d = run_conv<double>(ConvAlgorithm::Direct, x, w, b, R, S, true, shared);
            const ConvResult ref = run_conv<double>(ConvAlgorithm::Im2col, x, w, b, R, S, true, shared);
            const std::string what = "B=" + std::to_string(B) + (shared ? " x-shared" : "");
            BOOST_TEST(rel_diff(two.y, one.y) == 0.0, what);
            BOOST_TEST(rel_diff(two.gx, one.gx) == 0.0, what);
            BOOST_TEST(rel_diff(two.gw, one.gw) < 2e-5, what << ": ∂w " << rel_diff(two.gw, one.gw));
            BOOST_TEST(rel_diff(two.gb, one.gb) < 2e-5, what << ": ∂b " << rel_diff(two.gb, one.gb));
            BOOST_TEST(rel_diff(two_d.gw, one_d.gw) < 1e-14, what);
            BOOST_TEST(rel_diff(two_d.gb, one_d.gb) < 1e-14, what);
            BOOST_TEST(rel_diff(two_d.y, ref.y) < 1e-12, what);
            BOOST_TEST(rel_diff(two_d.gx, ref.gx) < 1e-12, what);
            BOOST_TEST(rel_diff(two_d.gw, ref.gw) < 1e-12, what);
            BOOST_TEST(rel_diff(two_d.gb, ref.gb) < 1e-12, what);
        }
    }
}

BOOST_AUTO_TEST_CASE(weight_gradient_accumulates_over_two_uses) {
    // The same kernel applied twice (as a parameter would be): both contributions add up in ∂w.
    if (skip_without_kernel()) return;
    Rng rng(7);
    const Tensor<double> x = uniform(rng, {2, 3, 6, 9}), w = uniform(rng, {4, 3, 3, 3}), b = uniform(rng, {4});
    Tensor<double> gw[2], gb[2];
    for (int k = 0; k < 2; ++k) {
        AlgoGuard guard(k == 0 ? ConvAlgorithm::Direct : ConvAlgorithm::Im2col);
        Tape<double> t;
        Var<double> xv = t.input(x), wv = t.input(w, true), bv = t.input(b, true);
        Var<double> y1 = conv2d(xv, wv, bv, 1, 1);
        Var<double> y2 = conv2d(mul_scalar(xv, 0.5), wv, bv, 1, 1);
        t.backward(sum(mul(y1, y2)));
        gw[k] = wv.grad();
        gb[k] = bv.grad();
    }
    BOOST_TEST(rel_diff(gw[0], gw[1]) < 1e-12);
    BOOST_TEST(rel_diff(gb[0], gb[1]) < 1e-12);
}

BOOST_AUTO_TEST_CASE(float_2x2_pool_matches_the_scalar_loops) {
    // float takes the AVX-512 pool kernel where available, double the scalar loops: the maxima, the
    // routed gradients (small integers, exact in both) and the tie-breaking must agree exactly.
    Rng rng(11);
    const std::vector<std::array<std::size_t, 4>> shapes = {
        {2, 3, 28, 28}, {1, 2, 14, 14}, {1, 1, 7, 7}, {2, 1, 5, 71}, {1, 2, 2, 2}, {1, 1, 3, 33}, {1, 1, 4, 64}};
    for (const auto& sh : shapes)
        for (int variant = 0; variant < 4; ++variant) {
            const bool ties = variant % 2 == 1, shared = variant / 2 == 1;
            const Shape xs{sh[0], sh[1], sh[2], sh[3]}, ys{sh[0], sh[1], sh[2] / 2, sh[3] / 2};
            Tensor<double> x = ties ? Tensor<double>::from_shape(xs) : distinct(rng, xs);
            if (ties)
                for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = double(rng.below(3));
            for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = double(float(x.data()[i]));  // exact in both
            Tensor<double> up = Tensor<double>::from_shape(ys), S = Tensor<double>::from_shape(xs);
            for (std::size_t i = 0; i < up.size(); ++i) up.data()[i] = double(rng.below(9)) - 4.0;
            for (std::size_t i = 0; i < S.size(); ++i) S.data()[i] = double(rng.below(9)) - 4.0;
            auto run = [&](auto zero) {
                using T = decltype(zero);
                Tape<T> t;
                Var<T> xv = t.input(cast<T>(x), true);
                Var<T> pooled = max_pool2d(xv, 2);
                Var<T> loss = sum(mul(pooled, t.input(cast<T>(up))));
                if (shared) loss = add(sum(mul(xv, t.input(cast<T>(S)))), loss);  // ∂x already written once
                t.backward(loss);
                return std::make_pair(widen(pooled.value()), widen(xv.grad()));
            };
            const auto f = run(0.0f);
            const auto d = run(0.0);
            BOOST_TEST(rel_diff(f.first, d.first) == 0.0, "pool values differ for " << shape_str(xs));
            BOOST_TEST(rel_diff(f.second, d.second) == 0.0, "pool gradients differ for " << shape_str(xs)
                                                                   << (ties ? " with ties" : "")
                                                                   << (shared ? ", shared input" : ""));
        }
}

using V = Var<double>;
using Xs = std::vector<V>;
using D = Tape<double>;

GRADCHECK_CASE(gc_conv2d_direct, "conv2d") {
    if (skip_without_kernel()) return;
    AlgoGuard guard(ConvAlgorithm::Direct);
    Rng r(46);
    expect_gradcheck("conv2d direct 3x3 (odd sizes, wider than one vector)",
                     [](D&, const Xs& x) { return conv2d(x[0], x[1], x[2], 1, 1); },
                     {uniform(r, {2, 3, 5, 11}), uniform(r, {5, 3, 3, 3}), uniform(r, {5})});
    expect_gradcheck("conv2d direct 3x3, Cin = 1, batch 1",
                     [](D&, const Xs& x) { return conv2d(x[0], x[1], x[2], 1, 1); },
                     {uniform(r, {1, 1, 4, 3}), uniform(r, {3, 1, 3, 3}), uniform(r, {3})});
    expect_gradcheck("conv2d direct 3x3, no bias, 1×1 image",
                     [](D&, const Xs& x) { return conv2d(x[0], x[1], V{}, 1, 1); },
                     {uniform(r, {2, 2, 1, 1}), uniform(r, {2, 2, 3, 3})});
    // ∂x reached first by another op (add), so the conv adds into it instead of writing it
    expect_gradcheck("conv2d direct 3x3 with the input used twice",
                     [](D&, const Xs& x) { return add(conv2d(x[0], x[1], V{}, 1, 1), mul_scalar(x[0], 2.0)); },
                     {uniform(r, {1, 2, 3, 4}), uniform(r, {2, 2, 3, 3})});
}

GRADCHECK_CASE(gc_written_gradients, "relu", "max_pool2d") {
    // relu and the 2×2 pool write a fresh gradient without zero-filling it first; here each input
    // also feeds a second op, once before and once after, so both the write and the add paths run,
    // and an odd-sized pool input leaves a last row and column that no window covers.
    Rng r(47);
    expect_gradcheck("relu shared with a later op", [](D&, const Xs& x) { return add(relu(x[0]), mul(x[0], x[0])); },
                     {away_from_zero(r, {3, 5})});
    expect_gradcheck("relu shared with an earlier op", [](D&, const Xs& x) { return add(mul(x[0], x[0]), relu(x[0])); },
                     {away_from_zero(r, {3, 5})});
    expect_gradcheck("max_pool2d 2 on odd sizes", [](D&, const Xs& x) { return max_pool2d(x[0], 2); },
                     {distinct(r, {2, 2, 5, 7})});
    expect_gradcheck("max_pool2d 2 shared with an earlier op",
                     [](D&, const Xs& x) { return add(sum(mul(x[0], x[0])), sum(max_pool2d(x[0], 2))); },
                     {distinct(r, {1, 2, 4, 6})});
    expect_gradcheck("max_pool2d 2 on odd sizes, shared",
                     [](D&, const Xs& x) { return add(sum(max_pool2d(x[0], 2)), sum(mul(x[0], x[0]))); },
                     {distinct(r, {1, 2, 5, 3})});
}

BOOST_AUTO_TEST_SUITE_END()
