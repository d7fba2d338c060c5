#include "analysis/verify.hpp"

#include <cmath>
#include <deque>

#include <fmt/format.h>

#include "analysis/feature_learning.hpp"
#include "analysis/gram_shift.hpp"
#include "autodiff/autodiff.hpp"
#include "autodiff/ops_conv.hpp"
#include "autodiff/ops_shape.hpp"

namespace gt::analysis {

namespace {

void check_config(const VerifyConfig& c) {
    auto bad = [](const std::string& field, const std::string& expected, const std::string& got) {
        throw ValueError("verify: expected " + field + " " + expected + ", got " + got);
    };
    if (c.depth < 1) bad("depth", ">= 1", std::to_string(c.depth));
    if (c.width < 1) bad("width", ">= 1", std::to_string(c.width));
    if (c.batch < 1) bad("batch", ">= 1", std::to_string(c.batch));
    if (c.classes < 2) bad("classes", ">= 2", std::to_string(c.classes));
    if (c.input_dim < 1) bad("input_dim", ">= 1", std::to_string(c.input_dim));
    if (c.image_size < 1) bad("image_size", ">= 1", std::to_string(c.image_size));
    if (!(c.gamma > 0.0) || !std::isfinite(c.gamma)) bad("gamma", "> 0", std::to_string(c.gamma));
    if (c.activation != "gelu" && c.activation != "relu" && c.activation != "tanh" && c.activation != "sigmoid")
        bad("activation", "one of gelu|relu|tanh|sigmoid", "'" + c.activation + "'");
    if (c.dtype != "float" && c.dtype != "double") bad("dtype", "float or double", "'" + c.dtype + "'");
    if (c.arch != "mlp" && c.arch != "cnn") bad("arch", "mlp or cnn", "'" + c.arch + "'");
}

template <class T>
Var<T> activate(Var<T> z, const std::string& name) {
    if (name == "relu") return relu(z);
    if (name == "tanh") return gt::tanh(z);
    if (name == "sigmoid") return sigmoid(z);
    return gelu(z);
}

// Parameters owned here; a deque keeps references stable for the tape's leaves.
template <class T>
struct Params {
    std::deque<Tensor<T>> values, grads;
    Var<T> add(Tape<T>& tape, Rng& rng, const Shape& shape, std::size_t fan_in, const std::string& name) {
        Tensor<T> v = Tensor<T>::from_shape(shape);
        const double bound = 1.0 / std::sqrt(double(fan_in));  // PyTorch default: U(±1/√fan_in)
        for (auto& e : v) e = T(rng.uniform(-bound, bound));
        values.push_back(std::move(v));
        grads.emplace_back();
        return tape.parameter(values.back(), grads.back(), name);
    }
};

// One weight layer whose identities we check: h is the node the weight multiplies (for conv, the
// unfold node), w the parameter leaf.
template <class T>
struct Checked {
    Var<T> h, w;
    bool conv;
};

template <class T>
std::vector<VerifyRow> run(const VerifyConfig& c) {
    Rng rng(c.seed);
    Tape<T> tape;
    Params<T> params;
    std::vector<Checked<T>> layers;
    const std::size_t B = c.batch;
    Var<T> h;
    if (c.arch == "mlp") {
        Tensor<T> x = Tensor<T>::from_shape({B, c.input_dim});
        for (auto& e : x) e = T(rng.normal());
        h = tape.input(std::move(x), true, "x");
        std::size_t fan_in = c.input_dim;
        for (std::size_t l = 0; l < c.depth; ++l) {
            const bool last = l + 1 == c.depth;
            const std::size_t out = last ? c.classes : c.width;
            Var<T> w = params.add(tape, rng, {out, fan_in}, fan_in, fmt::format("W{}", l));
            Var<T> b = c.bias ? params.add(tape, rng, {out}, fan_in, fmt::format("b{}", l)) : Var<T>{};
            layers.push_back({h, w, false});
            Var<T> z = linear(h, w, b);
            h = last ? z : activate(z, c.activation);
            fan_in = out;
        }
    } else {
        const std::size_t S = c.image_size, L = S * S;
        Tensor<T> x = Tensor<T>::from_shape({B, 3, S, S});
        for (auto& e : x) e = T(rng.normal());
        h = tape.input(std::move(x), true, "x");
        std::size_t cin = 3;
        for (std::size_t l = 0; l + 1 < c.depth; ++l) {
            const std::size_t D = cin * 9, cout = c.width;
            Var<T> w = params.add(tape, rng, {cout, cin, 3, 3}, D, fmt::format("K{}", l));
            Var<T> b = c.bias ? params.add(tape, rng, {cout}, D, fmt::format("b{}", l)) : Var<T>{};
            Var<T> u = unfold(h, Conv2dGeometry{3, 3, 1, 1});                     // (B, D, L)
            layers.push_back({u, w, true});
            Var<T> rows = reshape(permute(u, {0, 2, 1}), {B * L, D});             // patches as rows
            Var<T> z = linear(rows, reshape(w, {cout, D}), b);                    // (B·L, Cout)
            z = reshape(permute(reshape(z, {B, L, cout}), {0, 2, 1}), {B, cout, S, S});
            h = activate(z, c.activation);
            cin = cout;
        }
        h = reshape(h, {B, cin * L});
        const std::size_t fan_in = cin * L;
        Var<T> w = params.add(tape, rng, {c.classes, fan_in}, fan_in, "W_out");
        Var<T> b = c.bias ? params.add(tape, rng, {c.classes}, fan_in, "b_out") : Var<T>{};
        layers.push_back({h, w, false});
        h = linear(h, w, b);
    }
    Labels y(B);
    for (auto& v : y) v = int(rng.below(c.classes));
    tape.backward(cross_entropy(h, y));

    std::vector<VerifyRow> rows;
    const T gamma = T(c.gamma);
    for (std::size_t l = 0; l < layers.size(); ++l) {
        const Checked<T>& k = layers[l];
        const FlSides<T> fl = k.conv ? feature_learning_conv(tape, k.h, k.w) : feature_learning(tape, k.h, k.w);
        const GramShift<T> gs = k.conv ? gram_shift_conv(tape, k.h, k.w, gamma) : gram_shift(tape, k.h, k.w, gamma);
        VerifyRow r;
        r.layer = l;
        r.kind = k.conv ? "conv" : "linear";
        double ln = 0, rn = 0, dg = 0;
        for (auto v : fl.lhs) ln += double(v) * double(v);
        for (auto v : fl.rhs) rn += double(v) * double(v);
        for (auto v : gs.delta_gram) dg += double(v) * double(v);
        r.lhs_norm = std::sqrt(ln);
        r.rhs_norm = std::sqrt(rn);
        r.fl_residual = fl.residual;
        r.delta_gram_norm = std::sqrt(dg);
        r.thm1_first = gs.residual_first;
        r.thm1_exact = gs.residual_exact;
        rows.push_back(r);
    }
    return rows;
}

}  // namespace

std::vector<VerifyRow> verify(const VerifyConfig& config) {
    check_config(config);
    return config.dtype == "float" ? run<float>(config) : run<double>(config);
}

std::string verify_table(const std::vector<VerifyRow>& rows) {
    std::string s = fmt::format("{:>5}  {:<6}  {:>11}  {:>11}  {:>11}  {:>11}  {:>13}  {:>13}\n", "layer", "kind",
                                "|LHS|", "|RHS|", "FL resid", "|dG|", "Thm1 w/o R", "Thm1 with R");
    for (const auto& r : rows)
        s += fmt::format("{:>5}  {:<6}  {:>11.4e}  {:>11.4e}  {:>11.3e}  {:>11.4e}  {:>13.3e}  {:>13.3e}\n", r.layer,
                         r.kind, r.lhs_norm, r.rhs_norm, r.fl_residual, r.delta_gram_norm, r.thm1_first, r.thm1_exact);
    return s;
}

}  // namespace gt::analysis
