// PyTorch parity: values and every gradient against fixtures written by tests/fixtures/make_fixtures.py
// (PyTorch 1.13). float64 must agree to 1e-10 and float32 to 1e-5, relative (norm-wise) per tensor.
#include <boost/test/unit_test.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

#include <boost/mpl/list.hpp>
#include <xtensor/xnpy.hpp>

#include "helpers.hpp"

using namespace gt;

namespace {

template <class T> struct Precision;
template <> struct Precision<double> { static constexpr const char* dir = "f64"; static constexpr double tol = 1e-10; };
template <> struct Precision<float> { static constexpr const char* dir = "f32"; static constexpr double tol = 1e-5; };

std::string fixture_path(const char* dir, const std::string& name) {
    const char* root = std::getenv("GT_SOURCE_ROOT");
    if (!root) throw IoError("fixture " + name + ": GT_SOURCE_ROOT is not set (run the tests through meson test)");
    const std::string path = std::string(root) + "/tests/fixtures/autodiff/" + dir + "/" + name + ".npy";
    if (!std::ifstream(path).good())
        throw IoError("fixture " + path + " is missing: regenerate with `ninja -C <build> fixtures`");
    return path;
}

template <class T>
Tensor<T> fx(const std::string& name) {
    return xt::load_npy<T>(fixture_path(Precision<T>::dir, name));
}

template <class T>
Labels fx_labels(const std::string& name) {
    auto a = xt::load_npy<std::int64_t>(fixture_path(Precision<T>::dir, name));
    return Labels(a.begin(), a.end());
}

// Compares one of our tensors with the fixture of the same name.
template <class T>
void expect_fixture(const Tensor<T>& ours, const std::string& name) {
    const Tensor<T> ref = fx<T>(name);
    BOOST_TEST_REQUIRE(ours.size() == ref.size(), name << ": " << ours.size() << " elements, fixture has " << ref.size());
    if (ref.dimension() > 0)
        BOOST_TEST(shape_of(ours) == shape_of(ref), name << ": shape " << shape_str(shape_of(ours)) << " vs fixture "
                                                         << shape_str(shape_of(ref)));
    double d = 0, n = 0;
    for (std::size_t i = 0; i < ref.size(); ++i) {
        const double a = ours.data()[i], b = ref.data()[i];
        d += (a - b) * (a - b);
        n += b * b;
    }
    const double rel = std::sqrt(d / std::max(n, 1e-300));
    BOOST_TEST(rel < Precision<T>::tol, name << " (" << Precision<T>::dir << "): relative error " << rel);
}

// y = f(x); backward with the fixture's upstream g; compares y and dx.
template <class T, class F>
void unary_parity(const std::string& c, F f) {
    Tape<T> t;
    Var<T> x = t.input(fx<T>(c + ".x"), true);
    Var<T> y = f(x);
    t.backward(y, fx<T>(c + ".g"));
    expect_fixture(y.value(), c + ".y");
    expect_fixture(t.grad(x), c + ".dx");
}

// The six parameters of a fixture network `net`, each on the tape `t` with the value of the fixture
// `<net>.<name>` and a gradient slot; expect_gradients() compares each with the fixture `<net>.d<name>`.
template <class T>
struct FixtureNet {
    std::string net;
    std::array<const char*, 6> names;
    Tensor<T> value[6], grad[6];
    Tape<T> t;
    Var<T> p[6];
    FixtureNet(std::string net_name, const std::array<const char*, 6>& param_names)
        : net(std::move(net_name)), names(param_names) {
        for (std::size_t i = 0; i < names.size(); ++i) {
            value[i] = fx<T>(net + "." + names[i]);
            p[i] = t.parameter(value[i], grad[i], names[i]);
        }
    }
    void expect_gradients() const {
        for (std::size_t i = 0; i < names.size(); ++i) expect_fixture(grad[i], net + ".d" + names[i]);
    }
};

using Types = boost::mpl::list<double, float>;

}  // namespace

BOOST_AUTO_TEST_SUITE(torch_parity)

BOOST_AUTO_TEST_CASE_TEMPLATE(pointwise_and_softmax, T, Types) {
    unary_parity<T>("gelu", [](Var<T> x) { return gelu(x); });
    unary_parity<T>("log_softmax", [](Var<T> x) { return log_softmax(x); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(unfold_and_max_pool, T, Types) {
    unary_parity<T>("unfold", [](Var<T> x) { return unfold(x, Conv2dGeometry{2, 3, 2, 1}); });
    unary_parity<T>("max_pool2d", [](Var<T> x) { return max_pool2d(x, 2); });
    unary_parity<T>("max_pool2d_k3s2", [](Var<T> x) { return max_pool2d(x, 3, 2); });
}

BOOST_AUTO_TEST_CASE_TEMPLATE(losses, T, Types) {
    {
        Tape<T> t;
        Var<T> z = t.input(fx<T>("cross_entropy.logits"), true);
        Var<T> loss = cross_entropy(z, fx_labels<T>("cross_entropy.labels"));
        t.backward(loss);
        expect_fixture(loss.value(), "cross_entropy.loss");
        expect_fixture(t.grad(z), "cross_entropy.dlogits");
    }
    for (auto [c, red] : {std::pair{"bce_mean", Reduction::Mean}, std::pair{"bce_sum", Reduction::Sum}}) {
        const std::string n = c;
        Tape<T> t;
        Var<T> p = t.input(fx<T>(n + ".p"), true), y = t.input(fx<T>(n + ".t"), true);
        Var<T> loss = binary_cross_entropy(p, y, red);
        t.backward(loss);
        expect_fixture(loss.value(), n + ".loss");
        expect_fixture(t.grad(p), n + ".dp");
        expect_fixture(t.grad(y), n + ".dt");
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(linear_and_conv2d, T, Types) {
    {
        Tape<T> t;
        Var<T> x = t.input(fx<T>("linear.x"), true), w = t.input(fx<T>("linear.w"), true), b = t.input(fx<T>("linear.b"), true);
        Var<T> y = linear(x, w, b);
        t.backward(y, fx<T>("linear.g"));
        expect_fixture(y.value(), "linear.y");
        expect_fixture(t.grad(x), "linear.dx");
        expect_fixture(t.grad(w), "linear.dw");
        expect_fixture(t.grad(b), "linear.db");
    }
    {
        const std::string c = "conv2d_s2p1";
        Tape<T> t;
        Var<T> x = t.input(fx<T>(c + ".x"), true), w = t.input(fx<T>(c + ".w"), true), b = t.input(fx<T>(c + ".b"), true);
        Var<T> y = conv2d(x, w, b, 2, 1);
        t.backward(y, fx<T>(c + ".g"));
        expect_fixture(y.value(), c + ".y");
        expect_fixture(t.grad(x), c + ".dx");
        expect_fixture(t.grad(w), c + ".dw");
        expect_fixture(t.grad(b), c + ".db");
    }
    {
        const std::string c = "conv2d_s1p0_nobias";
        Tape<T> t;
        Var<T> x = t.input(fx<T>(c + ".x"), true), w = t.input(fx<T>(c + ".w"), true);
        Var<T> y = conv2d(x, w, Var<T>{}, 1, 0);
        t.backward(y, fx<T>(c + ".g"));
        expect_fixture(y.value(), c + ".y");
        expect_fixture(t.grad(x), c + ".dx");
        expect_fixture(t.grad(w), c + ".dw");
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(mlp_every_gradient, T, Types) {
    FixtureNet<T> net("mlp", {"W1", "b1", "W2", "b2", "W3", "b3"});
    Tape<T>& t = net.t;
    const auto& p = net.p;
    Var<T> h1 = gelu(linear(t.input(fx<T>("mlp.X")), p[0], p[1]));
    Var<T> h2 = gelu(linear(h1, p[2], p[3]));
    Var<T> logits = linear(h2, p[4], p[5]);
    Var<T> loss = cross_entropy(logits, fx_labels<T>("mlp.labels"));
    t.backward(loss);
    expect_fixture(loss.value(), "mlp.loss");
    expect_fixture(h1.value(), "mlp.h1");
    expect_fixture(h2.value(), "mlp.h2");
    expect_fixture(logits.value(), "mlp.logits");
    expect_fixture(t.grad(h1), "mlp.dh1");
    expect_fixture(t.grad(h2), "mlp.dh2");
    expect_fixture(t.grad(logits), "mlp.dlogits");
    net.expect_gradients();
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cnn_every_gradient, T, Types) {
    FixtureNet<T> net("cnn", {"C1", "c1", "C2", "c2", "W", "b"});
    Tape<T>& t = net.t;
    const auto& p = net.p;
    Var<T> X = t.input(fx<T>("cnn.X"), true);
    Var<T> a1 = relu(conv2d(X, p[0], p[1], 1, 1));
    Var<T> p1 = max_pool2d(a1, 2);
    Var<T> a2 = relu(conv2d(p1, p[2], p[3]));
    Var<T> logits = linear(reshape(a2, {4, 24}), p[4], p[5]);
    Var<T> loss = cross_entropy(logits, fx_labels<T>("cnn.labels"));
    t.backward(loss);
    expect_fixture(loss.value(), "cnn.loss");
    for (auto [v, n] : {std::pair{a1, "a1"}, std::pair{p1, "p1"}, std::pair{a2, "a2"}, std::pair{logits, "logits"}})
        expect_fixture(v.value(), std::string("cnn.") + n);
    for (auto [v, n] : {std::pair{X, "dX"}, std::pair{a1, "da1"}, std::pair{p1, "dp1"}, std::pair{a2, "da2"}})
        expect_fixture(t.grad(v), std::string("cnn.") + n);
    net.expect_gradients();
}

BOOST_AUTO_TEST_CASE_TEMPLATE(softmax_and_layer_norm, T, Types) {
    unary_parity<T>("softmax", [](Var<T> x) { return softmax(x); });
    unary_parity<T>("layer_norm_noaffine", [](Var<T> x) { return layer_norm(x, Var<T>{}, Var<T>{}, 1e-3); });
    Tape<T> t;
    Var<T> x = t.input(fx<T>("layer_norm.x"), true), w = t.input(fx<T>("layer_norm.w"), true);
    Var<T> b = t.input(fx<T>("layer_norm.b"), true);
    Var<T> y = layer_norm(x, w, b, 1e-5);
    t.backward(y, fx<T>("layer_norm.g"));
    expect_fixture(y.value(), "layer_norm.y");
    expect_fixture(t.grad(x), "layer_norm.dx");
    expect_fixture(t.grad(w), "layer_norm.dw");
    expect_fixture(t.grad(b), "layer_norm.db");
}

// Against nn.MultiheadAttention(batch_first=True, dropout 0, bias False) with identity in- and
// out-projections, whose output is then exactly multi-head attention on q, k, v; with padded keys.
BOOST_AUTO_TEST_CASE_TEMPLATE(multi_head_attention_with_key_padding, T, Types) {
    for (auto [c, heads] : {std::pair{"mha", std::size_t(2)}, std::pair{"mha_cross", std::size_t(4)}}) {
        const std::string n = c;
        const auto pad_array = xt::load_npy<std::uint8_t>(fixture_path(Precision<T>::dir, n + ".pad"));
        const std::vector<std::uint8_t> pad(pad_array.begin(), pad_array.end());
        Tape<T> t;
        Var<T> q = t.input(fx<T>(n + ".q"), true), k = t.input(fx<T>(n + ".k"), true), v = t.input(fx<T>(n + ".v"), true);
        Var<T> o = multi_head_attention(q, k, v, heads, pad);
        t.backward(o, fx<T>(n + ".g"));
        expect_fixture(o.value(), n + ".o");
        expect_fixture(t.grad(q), n + ".dq");
        expect_fixture(t.grad(k), n + ".dk");
        expect_fixture(t.grad(v), n + ".dv");
    }
}

BOOST_AUTO_TEST_CASE_TEMPLATE(cross_entropy_ignore_index, T, Types) {
    Tape<T> t;
    Var<T> z = t.input(fx<T>("cross_entropy_ignore.logits"), true);
    Var<T> loss = cross_entropy(z, fx_labels<T>("cross_entropy_ignore.labels"), -100);
    t.backward(loss);
    expect_fixture(loss.value(), "cross_entropy_ignore.loss");
    expect_fixture(t.grad(z), "cross_entropy_ignore.dlogits");
}

BOOST_AUTO_TEST_CASE(missing_fixture_is_a_clear_error) {
    BOOST_CHECK_EXCEPTION(fx<double>("no_such_case.x"), IoError, [](const IoError& e) {
        return std::string(e.what()).find("no_such_case.x.npy") != std::string::npos;
    });
}

BOOST_AUTO_TEST_SUITE_END()
