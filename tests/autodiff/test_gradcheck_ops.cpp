// One float64 central-difference gradient check per op (and per code path), registry keys declared
// with GRADCHECK_CASE. Non-scalar outputs are contracted with a fixed random tensor by gt::gradcheck.
#include <boost/test/unit_test.hpp>

#include "helpers.hpp"
#include "nn/vae_ops.hpp"

using namespace gt;
using namespace gt_test;
using V = Var<double>;
using Xs = std::vector<V>;
using D = Tape<double>;

namespace {

/// The gradient check of a two-input op on uniform inputs of shapes a then b, drawn from Rng(seed).
void expect_binary_gradcheck(std::uint64_t seed, const std::string& what, V (*op)(V, V), const Shape& a, const Shape& b) {
    Rng r(seed);
    expect_gradcheck(what, [op](D&, const Xs& x) { return op(x[0], x[1]); }, {uniform(r, a), uniform(r, b)});
}

/// The gradient checks of a reduction along each axis of a uniform (2, 3, 4) input, without then with
/// keepdims, the inputs drawn in that order from Rng(seed).
void expect_axis_gradchecks(std::uint64_t seed, const std::string& name, V (*reduce)(V, std::size_t, bool)) {
    Rng r(seed);
    for (std::size_t axis = 0; axis < 3; ++axis)
        for (bool keep : {false, true})
            expect_gradcheck(name + " axis " + std::to_string(axis) + (keep ? " keepdims" : ""),
                             [reduce, axis, keep](D&, const Xs& x) { return reduce(x[0], axis, keep); }, {uniform(r, {2, 3, 4})});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(gradcheck_ops)

// ---- element-wise ---------------------------------------------------------------------------

GRADCHECK_CASE(gc_add, "add") {
    expect_binary_gradcheck(1, "add", add<double>, {3, 4}, {3, 4});
}
GRADCHECK_CASE(gc_add_broadcast, "add[broadcast]") {
    expect_binary_gradcheck(2, "add (3,4)+(4,)", add<double>, {3, 4}, {4});
}
GRADCHECK_CASE(gc_sub, "sub") {
    expect_binary_gradcheck(3, "sub", sub<double>, {3, 4}, {4});
}
GRADCHECK_CASE(gc_mul, "mul") {
    expect_binary_gradcheck(4, "mul", mul<double>, {3, 4}, {3, 4});
}
GRADCHECK_CASE(gc_mul_broadcast, "mul[broadcast]") {
    expect_binary_gradcheck(5, "mul (3,1)*(1,4)", mul<double>, {3, 1}, {1, 4});
}
GRADCHECK_CASE(gc_div, "div") {
    Rng r(6);
    expect_gradcheck("div", [](D&, const Xs& x) { return div(x[0], x[1]); },
                     {uniform(r, {3, 4}), away_from_zero(r, {3, 4}, 0.5, 2.0)});
}
GRADCHECK_CASE(gc_div_broadcast, "div[broadcast]") {
    Rng r(7);
    expect_gradcheck("div (2,3,4)/(3,1)", [](D&, const Xs& x) { return div(x[0], x[1]); },
                     {uniform(r, {2, 3, 4}), away_from_zero(r, {3, 1}, 0.5, 2.0)});
}
GRADCHECK_CASE(gc_neg, "neg") {
    Rng r(8);
    expect_gradcheck("neg", [](D&, const Xs& x) { return neg(x[0]); }, {uniform(r, {2, 5})});
}
GRADCHECK_CASE(gc_add_scalar, "add_scalar") {
    Rng r(9);
    expect_gradcheck("add_scalar", [](D&, const Xs& x) { return add_scalar(x[0], 0.7); }, {uniform(r, {2, 5})});
}
GRADCHECK_CASE(gc_mul_scalar, "mul_scalar") {
    Rng r(10);
    expect_gradcheck("mul_scalar", [](D&, const Xs& x) { return mul_scalar(x[0], -1.3); }, {uniform(r, {2, 5})});
}
GRADCHECK_CASE(gc_rsub_scalar, "rsub_scalar") {
    Rng r(11);
    expect_gradcheck("rsub_scalar", [](D&, const Xs& x) { return rsub_scalar(x[0], 2.0); }, {uniform(r, {2, 5})});
}
GRADCHECK_CASE(gc_pow_scalar, "pow_scalar") {
    Rng r(12);
    expect_gradcheck("pow_scalar", [](D&, const Xs& x) { return pow_scalar(x[0], 2.5); }, {uniform(r, {2, 5}, 0.2, 2.0)});
}
GRADCHECK_CASE(gc_exp, "exp") {
    Rng r(13);
    expect_gradcheck("exp", [](D&, const Xs& x) { return gt::exp(x[0]); }, {uniform(r, {2, 5})});
}
GRADCHECK_CASE(gc_log, "log") {
    Rng r(14);
    expect_gradcheck("log", [](D&, const Xs& x) { return gt::log(x[0]); }, {uniform(r, {2, 5}, 0.2, 3.0)});
}
GRADCHECK_CASE(gc_sqrt, "sqrt") {
    Rng r(15);
    expect_gradcheck("sqrt", [](D&, const Xs& x) { return gt::sqrt(x[0]); }, {uniform(r, {2, 5}, 0.2, 3.0)});
}
GRADCHECK_CASE(gc_abs, "abs") {
    Rng r(16);
    expect_gradcheck("abs", [](D&, const Xs& x) { return gt::abs(x[0]); }, {away_from_zero(r, {2, 5})});
}

// ---- reductions -----------------------------------------------------------------------------

GRADCHECK_CASE(gc_sum, "sum") {
    Rng r(17);
    expect_gradcheck("sum", [](D&, const Xs& x) { return sum(x[0]); }, {uniform(r, {2, 3, 4})});
}
GRADCHECK_CASE(gc_sum_axis, "sum[axis]") {
    expect_axis_gradchecks(18, "sum", sum<double>);
}
GRADCHECK_CASE(gc_mean, "mean") {
    Rng r(19);
    expect_gradcheck("mean", [](D&, const Xs& x) { return mean(x[0]); }, {uniform(r, {2, 3, 4})});
}
GRADCHECK_CASE(gc_mean_axis, "mean[axis]") {
    expect_axis_gradchecks(20, "mean", mean<double>);
}

// ---- shape ----------------------------------------------------------------------------------

GRADCHECK_CASE(gc_reshape, "reshape") {
    Rng r(21);
    // a non-linear function after the reshape, so the gradient's layout matters
    expect_gradcheck("reshape", [](D&, const Xs& x) { return gelu(reshape(x[0], {4, 6})); }, {uniform(r, {2, 3, 4})});
}
GRADCHECK_CASE(gc_transpose, "transpose") {
    Rng r(22);
    expect_gradcheck("transpose", [](D&, const Xs& x) { return matmul(transpose(x[0]), x[1]); },
                     {uniform(r, {3, 2}), uniform(r, {3, 4})});
}
GRADCHECK_CASE(gc_permute, "permute") {
    Rng r(23);
    expect_gradcheck("permute", [](D&, const Xs& x) { return permute(x[0], {2, 0, 1}); }, {uniform(r, {2, 3, 4})});
    expect_gradcheck("permute 4-D", [](D&, const Xs& x) { return permute(x[0], {0, 2, 3, 1}); },
                     {uniform(r, {2, 3, 2, 2})});
}
GRADCHECK_CASE(gc_slice, "slice") {
    Rng r(24);
    for (std::size_t axis = 0; axis < 3; ++axis)
        expect_gradcheck("slice axis " + std::to_string(axis), [axis](D&, const Xs& x) { return slice(x[0], axis, 1, 1); },
                         {uniform(r, {2, 3, 4})});
}
GRADCHECK_CASE(gc_concat, "concat") {
    Rng r(25);
    expect_gradcheck("concat axis 1", [](D&, const Xs& x) { return concat<double>({x[0], x[1], x[2]}, 1); },
                     {uniform(r, {2, 1, 4}), uniform(r, {2, 3, 4}), uniform(r, {2, 2, 4})});
    expect_gradcheck("concat axis 0", [](D&, const Xs& x) { return concat<double>({x[0], x[1]}, 0); },
                     {uniform(r, {1, 3}), uniform(r, {2, 3})});
}

// ---- linear algebra -------------------------------------------------------------------------

GRADCHECK_CASE(gc_matmul, "matmul") {
    expect_binary_gradcheck(26, "matmul", [](V a, V b) { return matmul(a, b); }, {3, 4}, {4, 5});
}
GRADCHECK_CASE(gc_matmul_batched, "matmul[batched]") {
    expect_binary_gradcheck(27, "batched matmul", [](V a, V b) { return matmul(a, b); }, {2, 3, 4}, {2, 4, 5});
}
GRADCHECK_CASE(gc_matmul_transpose, "matmul[transpose]") {
    Rng r(48);
    const std::size_t m = 3, k = 4, n = 5;
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            if (!ta && !tb) continue;  // gc_matmul
            const Shape a = ta ? Shape{k, m} : Shape{m, k}, b = tb ? Shape{n, k} : Shape{k, n};
            expect_gradcheck(std::string("matmul") + (ta ? " Aᵀ" : " A") + (tb ? "·Bᵀ" : "·B"),
                             [ta, tb](D&, const Xs& x) { return matmul(x[0], x[1], ta, tb); },
                             {uniform(r, a), uniform(r, b)});
        }
}
GRADCHECK_CASE(gc_matmul_batched_transpose, "matmul[batched, transpose]") {
    Rng r(49);
    const std::size_t B = 2, m = 3, k = 4, n = 5;
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            if (!ta && !tb) continue;  // gc_matmul_batched
            const Shape a = ta ? Shape{B, k, m} : Shape{B, m, k}, b = tb ? Shape{B, n, k} : Shape{B, k, n};
            expect_gradcheck(std::string("batched matmul") + (ta ? " Aᵀ" : " A") + (tb ? "·Bᵀ" : "·B"),
                             [ta, tb](D&, const Xs& x) { return matmul(x[0], x[1], ta, tb); },
                             {uniform(r, a), uniform(r, b)});
        }
    // Q·Kᵀ of one operand with itself: both gradients land in the same node
    expect_gradcheck("batched matmul X·Xᵀ", [](D&, const Xs& x) { return matmul(x[0], x[0], false, true); },
                     {uniform(r, {2, 3, 4})});
}
GRADCHECK_CASE(gc_linear, "linear") {
    Rng r(28);
    expect_gradcheck("linear", [](D&, const Xs& x) { return linear(x[0], x[1], x[2]); },
                     {uniform(r, {5, 4}), uniform(r, {3, 4}), uniform(r, {3})});
}
GRADCHECK_CASE(gc_linear_nobias, "linear[no bias]") {
    Rng r(29);
    expect_gradcheck("linear without bias", [](D&, const Xs& x) { return linear(x[0], x[1]); },
                     {uniform(r, {5, 4}), uniform(r, {3, 4})});
}

GRADCHECK_CASE(gc_linear_3d, "linear[3-D]") {
    Rng r(50);
    expect_gradcheck("linear (2, 3, 4) input", [](D&, const Xs& x) { return linear(x[0], x[1], x[2]); },
                     {uniform(r, {2, 3, 4}), uniform(r, {5, 4}), uniform(r, {5})});
    expect_gradcheck("linear (2, 1, 3, 4) input without bias", [](D&, const Xs& x) { return linear(x[0], x[1]); },
                     {uniform(r, {2, 1, 3, 4}), uniform(r, {5, 4})});
}

// ---- activations ----------------------------------------------------------------------------

GRADCHECK_CASE(gc_relu, "relu") {
    Rng r(30);
    expect_gradcheck("relu", [](D&, const Xs& x) { return relu(x[0]); }, {away_from_zero(r, {3, 5})});
}
GRADCHECK_CASE(gc_gelu, "gelu") {
    Rng r(31);
    expect_gradcheck("gelu", [](D&, const Xs& x) { return gelu(x[0]); }, {uniform(r, {3, 5}, -3.0, 3.0)});
}
GRADCHECK_CASE(gc_sigmoid, "sigmoid") {
    Rng r(32);
    expect_gradcheck("sigmoid", [](D&, const Xs& x) { return sigmoid(x[0]); }, {uniform(r, {3, 5}, -4.0, 4.0)});
}
GRADCHECK_CASE(gc_tanh, "tanh") {
    Rng r(33);
    expect_gradcheck("tanh", [](D&, const Xs& x) { return gt::tanh(x[0]); }, {uniform(r, {3, 5}, -2.0, 2.0)});
}
GRADCHECK_CASE(gc_softplus, "softplus") {
    Rng r(34);
    Tensor<double> x = uniform(r, {3, 5}, -5.0, 5.0);
    x(0, 0) = 25.0;  // the linear branch above the threshold 20
    expect_gradcheck("softplus", [](D&, const Xs& x) { return softplus(x[0]); }, {x});
}

// ---- losses ---------------------------------------------------------------------------------

GRADCHECK_CASE(gc_log_softmax, "log_softmax") {
    Rng r(35);
    expect_gradcheck("log_softmax", [](D&, const Xs& x) { return log_softmax(x[0]); }, {uniform(r, {4, 5}, -2.0, 2.0)});
}
GRADCHECK_CASE(gc_cross_entropy, "cross_entropy") {
    Rng r(36);
    expect_gradcheck("cross_entropy", [](D&, const Xs& x) { return cross_entropy(x[0], Labels{0, 4, 2, 2}); },
                     {uniform(r, {4, 5}, -2.0, 2.0)});
}
GRADCHECK_CASE(gc_cross_entropy_ignore_index, "cross_entropy[ignore_index]") {
    Rng r(51);
    expect_gradcheck("cross_entropy ignore_index -100",
                     [](D&, const Xs& x) { return cross_entropy(x[0], Labels{0, -100, 3, -100, 1}); },
                     {uniform(r, {5, 4}, -2.0, 2.0)});
    expect_gradcheck("cross_entropy ignore_index 2",  // an ignore index inside [0, C)
                     [](D&, const Xs& x) { return cross_entropy(x[0], Labels{2, 0, 2, 1, 3}, 2); },
                     {uniform(r, {5, 4}, -2.0, 2.0)});
}
GRADCHECK_CASE(gc_mse, "mse") {
    Rng r(37);
    expect_gradcheck("mse", [](D&, const Xs& x) { return mse(x[0], x[1]); }, {uniform(r, {4, 3}), uniform(r, {4, 3})});
}
GRADCHECK_CASE(gc_bce_sum, "binary_cross_entropy[sum]") {
    Rng r(38);
    expect_gradcheck("bce sum", [](D&, const Xs& x) { return binary_cross_entropy(x[0], x[1], Reduction::Sum); },
                     {uniform(r, {4, 3}, 0.1, 0.9), uniform(r, {4, 3}, 0.0, 1.0)});
}
GRADCHECK_CASE(gc_bce_mean, "binary_cross_entropy[mean]") {
    Rng r(39);
    expect_gradcheck("bce mean", [](D&, const Xs& x) { return binary_cross_entropy(x[0], x[1], Reduction::Mean); },
                     {uniform(r, {4, 3}, 0.1, 0.9), uniform(r, {4, 3}, 0.0, 1.0)});
}

// ---- convolution ----------------------------------------------------------------------------

GRADCHECK_CASE(gc_unfold, "unfold") {
    Rng r(40);
    expect_gradcheck("unfold 3x3", [](D&, const Xs& x) { return unfold(x[0], Conv2dGeometry{3, 3, 1, 0}); },
                     {uniform(r, {2, 2, 5, 4})});
    expect_gradcheck("unfold 2x3 stride 2 pad 1", [](D&, const Xs& x) { return unfold(x[0], Conv2dGeometry{2, 3, 2, 1}); },
                     {uniform(r, {2, 2, 5, 4})});
    // padding larger than the kernel: whole output rows and columns see only zeros
    expect_gradcheck("unfold 2x1 stride 2 pad 3", [](D&, const Xs& x) { return unfold(x[0], Conv2dGeometry{2, 1, 2, 3}); },
                     {uniform(r, {1, 2, 3, 2})});
}
GRADCHECK_CASE(gc_conv2d, "conv2d") {
    Rng r(41);
    expect_gradcheck("conv2d", [](D&, const Xs& x) { return conv2d(x[0], x[1], x[2]); },
                     {uniform(r, {2, 3, 6, 5}), uniform(r, {4, 3, 3, 3}), uniform(r, {4})});
}
GRADCHECK_CASE(gc_conv2d_stride_padding, "conv2d[stride, padding]") {
    Rng r(42);
    expect_gradcheck("conv2d stride 2 padding 1", [](D&, const Xs& x) { return conv2d(x[0], x[1], x[2], 2, 1); },
                     {uniform(r, {2, 3, 7, 6}), uniform(r, {4, 3, 3, 2}), uniform(r, {4})});
    expect_gradcheck("conv2d stride 3 padding 2", [](D&, const Xs& x) { return conv2d(x[0], x[1], x[2], 3, 2); },
                     {uniform(r, {1, 2, 5, 5}), uniform(r, {3, 2, 3, 3}), uniform(r, {3})});
}
GRADCHECK_CASE(gc_conv2d_nobias, "conv2d[no bias]") {
    Rng r(43);
    expect_gradcheck("conv2d without bias", [](D&, const Xs& x) { return conv2d(x[0], x[1], V{}, 1, 1); },
                     {uniform(r, {2, 2, 4, 4}), uniform(r, {3, 2, 3, 3})});
}
GRADCHECK_CASE(gc_max_pool2d, "max_pool2d") {
    Rng r(44);
    expect_gradcheck("max_pool2d 2", [](D&, const Xs& x) { return max_pool2d(x[0], 2); }, {distinct(r, {2, 3, 4, 6})});
    expect_gradcheck("max_pool2d 3 stride 2 (overlapping)", [](D&, const Xs& x) { return max_pool2d(x[0], 3, 2); },
                     {distinct(r, {1, 2, 7, 5})});
}

// ---- lookup -------------------------------------------------------------------------------

GRADCHECK_CASE(gc_embedding, "embedding") {
    Rng r(45);
    // index 1 twice: its row's gradient must be the sum of both
    expect_gradcheck("embedding", [](D&, const Xs& x) { return embedding(x[0], Labels{1, 3, 1, 0}); },
                     {uniform(r, {5, 3})});
}
// ---- transformer ops ------------------------------------------------------------------------

GRADCHECK_CASE(gc_softmax, "softmax") {
    Rng r(52);
    expect_gradcheck("softmax (2, 3, 4)", [](D&, const Xs& x) { return softmax(x[0]); }, {uniform(r, {2, 3, 4}, -2.0, 2.0)});
    expect_gradcheck("softmax (5,)", [](D&, const Xs& x) { return softmax(x[0]); }, {uniform(r, {5}, -2.0, 2.0)});
    // the input's gradient already holds another op's contribution when softmax's backward runs: added
    expect_gradcheck("softmax(x) + x", [](D&, const Xs& x) { return add(softmax(x[0]), x[0]); },
                     {uniform(r, {3, 4}, -2.0, 2.0)});
}
GRADCHECK_CASE(gc_multi_head_attention, "multi_head_attention") {
    Rng r(53);
    expect_gradcheck("attention, 2 heads of width 3",
                     [](D&, const Xs& x) { return multi_head_attention(x[0], x[1], x[2], 2); },
                     {uniform(r, {2, 4, 6}), uniform(r, {2, 4, 6}), uniform(r, {2, 4, 6})});
    expect_gradcheck("attention, 3 queries on 5 keys, 1 head",
                     [](D&, const Xs& x) { return multi_head_attention(x[0], x[1], x[2], 1); },
                     {uniform(r, {2, 3, 4}), uniform(r, {2, 5, 4}), uniform(r, {2, 5, 4})});
    // self-attention on one node: the q, k and v gradients of each head block land in the same buffer
    expect_gradcheck("self-attention x, x, x", [](D&, const Xs& x) { return multi_head_attention(x[0], x[0], x[0], 2); },
                     {uniform(r, {2, 4, 6})});
    expect_gradcheck("attention x, k, x", [](D&, const Xs& x) { return multi_head_attention(x[0], x[1], x[0], 3); },
                     {uniform(r, {1, 4, 6}), uniform(r, {1, 4, 6})});
    // and when the gradient already holds another op's contribution (not fresh)
    expect_gradcheck("self-attention(x) + x", [](D&, const Xs& x) { return add(multi_head_attention(x[0], x[0], x[0], 2), x[0]); },
                     {uniform(r, {2, 3, 4})});
}
GRADCHECK_CASE(gc_multi_head_attention_key_padding, "multi_head_attention[key padding]") {
    Rng r(54);
    // batch row 0: keys 3 and 4 are padding; row 1: key 0
    const std::vector<std::uint8_t> pad{0, 0, 0, 1, 1, 1, 0, 0, 0, 0};
    expect_gradcheck("attention with key padding",
                     [pad](D&, const Xs& x) { return multi_head_attention(x[0], x[1], x[2], 2, pad); },
                     {uniform(r, {2, 5, 4}), uniform(r, {2, 5, 4}), uniform(r, {2, 5, 4})});
    expect_gradcheck("self-attention with key padding",
                     [pad](D&, const Xs& x) { return multi_head_attention(x[0], x[0], x[0], 2, pad); },
                     {uniform(r, {2, 5, 4})});
}
GRADCHECK_CASE(gc_layer_norm, "layer_norm") {
    Rng r(55);
    expect_gradcheck("layer_norm (2, 3, 5)", [](D&, const Xs& x) { return layer_norm(x[0], x[1], x[2]); },
                     {uniform(r, {2, 3, 5}, -2.0, 2.0), uniform(r, {5}, 0.5, 1.5), uniform(r, {5})});
    expect_gradcheck("layer_norm eps 0.1", [](D&, const Xs& x) { return layer_norm(x[0], x[1], x[2], 0.1); },
                     {uniform(r, {4, 3}), uniform(r, {3}, 0.5, 1.5), uniform(r, {3})});
    expect_gradcheck("layer_norm(x) + x", [](D&, const Xs& x) { return add(layer_norm(x[0], x[1], x[2]), x[0]); },
                     {uniform(r, {3, 4}, -2.0, 2.0), uniform(r, {4}, 0.5, 1.5), uniform(r, {4})});
}
GRADCHECK_CASE(gc_layer_norm_no_affine, "layer_norm[no affine]") {
    Rng r(56);
    expect_gradcheck("layer_norm without affine", [](D&, const Xs& x) { return layer_norm(x[0], V{}, V{}); },
                     {uniform(r, {3, 6}, -2.0, 2.0)});
    expect_gradcheck("layer_norm with gamma only", [](D&, const Xs& x) { return layer_norm(x[0], x[1], V{}); },
                     {uniform(r, {3, 4}, -2.0, 2.0), uniform(r, {4}, 0.5, 1.5)});
    expect_gradcheck("layer_norm with beta only", [](D&, const Xs& x) { return layer_norm(x[0], V{}, x[1]); },
                     {uniform(r, {3, 4}, -2.0, 2.0), uniform(r, {4})});
}
GRADCHECK_CASE(gc_dropout, "dropout") {
    Rng r(57);
    // The Rng is built inside the function, so every evaluation draws the same mask.
    expect_gradcheck("dropout p = 0.3", [](D&, const Xs& x) {
        Rng mask_rng(5);
        return dropout(x[0], 0.3, mask_rng);
    }, {uniform(r, {4, 5})});
    expect_gradcheck("dropout(x) + x", [](D&, const Xs& x) {
        Rng mask_rng(6);
        return add(dropout(x[0], 0.5, mask_rng), x[0]);
    }, {uniform(r, {3, 4})});
}

// ---- the VAE's ops (nn/vae_ops.hpp: not autodiff ops, so not in the registry) -------------------

BOOST_AUTO_TEST_CASE(gc_reparameterize) {
    Rng r(46);
    const Tensor<double> eps = uniform(r, {3, 4}, -2.0, 2.0);
    expect_gradcheck("reparameterize", [eps](D&, const Xs& x) { return nn::reparameterize(x[0], x[1], eps); },
                     {uniform(r, {3, 4}), uniform(r, {3, 4})});
}
BOOST_AUTO_TEST_CASE(gc_gaussian_kl) {
    Rng r(47);
    expect_gradcheck("gaussian_kl", [](D&, const Xs& x) { return nn::gaussian_kl(x[0], x[1]); },
                     {uniform(r, {3, 4}), uniform(r, {3, 4})});
}

BOOST_AUTO_TEST_SUITE_END()
