// Optimizers against PyTorch: three steps of SGD (momentum; Nesterov + weight decay; plain), Adam
// (plain; L2), AdamW and Gram-whitened SGD with momentum (Newton–Schulz and SVD), from the same initial
// weights and batches; every parameter must match torch's after the third step.
#include <memory>

#include <boost/mpl/list.hpp>
#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "fixtures.hpp"
#include "nn/adam.hpp"
#include "nn/cnn.hpp"
#include "nn/dnn.hpp"
#include "nn/gram_whiten.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"

using namespace gt;
using namespace gt::test;
using Types = boost::mpl::list<float, double>;

namespace {

template <class T>
std::unique_ptr<nn::Optimizer<T>> make_optimizer(const std::string& name, std::vector<nn::Parameter<T>*> ps) {
    auto sgd = [&](double lr, double mom) {
        nn::SGDOptions o;
        o.lr = lr;
        o.momentum = mom;
        return std::make_unique<nn::SGD<T>>(ps, o);
    };
    if (name == "sgd_momentum") return sgd(0.1, 0.9);
    if (name == "sgd_plain") return sgd(0.1, 0.0);
    if (name == "sgd_nesterov_wd") {
        nn::SGDOptions o;
        o.lr = 0.05;
        o.momentum = 0.8;
        o.nesterov = true;
        o.weight_decay = 0.01;
        return std::make_unique<nn::SGD<T>>(ps, o);
    }
    nn::AdamOptions a;
    a.lr = 0.01;
    if (name == "adam") return std::make_unique<nn::Adam<T>>(ps, a);
    if (name == "adam_l2") {
        a.beta1 = 0.8;
        a.beta2 = 0.95;
        a.weight_decay = 0.1;
        return std::make_unique<nn::Adam<T>>(ps, a);
    }
    if (name == "adamw") {
        a.beta2 = 0.98;
        a.weight_decay = 0.5;
        return std::make_unique<nn::AdamW<T>>(ps, a);
    }
    nn::GramWhitenOptions w;
    w.method = name == "whiten_svd" ? nn::PolarMethod::SVD : nn::PolarMethod::NewtonSchulz;
    return std::make_unique<nn::GramWhiten<T>>(sgd(0.1, 0.9), w);
}

template <class T>
void run_three_steps(const std::string& name) {
    Rng rng(0);
    nn::DNN<T> model(20, 16, 5, 2, true, nn::Activation::GELU, rng);
    load_params(model.parameters(), "optim", "init.");
    auto opt = make_optimizer<T>(name, model.parameters());
    Tape<T> tape;
    for (int i = 0; i < 3; ++i) {
        tape.reset();
        opt->zero_grad();
        auto out = model.forward(tape, tape.input(fixture<T>("optim__x" + std::to_string(i))));
        tape.backward(nn::cross_entropy_loss(out.logits, fixture_labels("optim__y" + std::to_string(i))));
        opt->step();
    }
    BOOST_TEST(opt->steps() == 3u);
    check_params(model.parameters(), "optim", name + ".", false);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(optimizers)

BOOST_AUTO_TEST_CASE_TEMPLATE(sgd_momentum_matches_torch, T, Types) { run_three_steps<T>("sgd_momentum"); }
BOOST_AUTO_TEST_CASE_TEMPLATE(sgd_plain_matches_torch, T, Types) { run_three_steps<T>("sgd_plain"); }
BOOST_AUTO_TEST_CASE_TEMPLATE(sgd_nesterov_wd_matches_torch, T, Types) { run_three_steps<T>("sgd_nesterov_wd"); }
BOOST_AUTO_TEST_CASE_TEMPLATE(adam_matches_torch, T, Types) { run_three_steps<T>("adam"); }
BOOST_AUTO_TEST_CASE_TEMPLATE(adam_l2_matches_torch, T, Types) { run_three_steps<T>("adam_l2"); }
BOOST_AUTO_TEST_CASE_TEMPLATE(adamw_matches_torch, T, Types) { run_three_steps<T>("adamw"); }
BOOST_AUTO_TEST_CASE_TEMPLATE(gram_whiten_ns_matches_torch, T, Types) { run_three_steps<T>("whiten_ns"); }
BOOST_AUTO_TEST_CASE_TEMPLATE(gram_whiten_svd_matches_torch, T, Types) { run_three_steps<T>("whiten_svd"); }

// Conv kernels are whitened as (Cout, Cin·3·3) matrices, biases untouched.
BOOST_AUTO_TEST_CASE_TEMPLATE(gram_whiten_cnn_matches_torch, T, Types) {
    Rng rng(0);
    nn::CNNOptions copt;
    copt.channels = 4;
    nn::CNN<T> model(3, 8, 8, 5, rng, copt);
    load_params(model.parameters(), "cnn");
    nn::SGDOptions so;
    so.lr = 0.05;
    so.momentum = 0.9;
    nn::GramWhiten<T> opt(std::make_unique<nn::SGD<T>>(model.parameters(), so));
    BOOST_TEST(opt.whitened_names().size() == 4u);  // 3 conv kernels + the classifier weight
    BOOST_TEST(opt.kind() == "gram_whiten(sgd)");
    Tape<T> tape;
    const Tensor<T> x = fixture<T>("cnn__x");
    const Labels y = fixture_labels("cnn__y");
    for (int i = 0; i < 3; ++i) {
        tape.reset();
        opt.zero_grad();
        tape.backward(nn::cross_entropy_loss(model.forward(tape, tape.input(x)).logits, y));
        opt.step();
    }
    check_params(model.parameters(), "cnn", "whiten.", false, tol<T>());
}

BOOST_AUTO_TEST_CASE(optimizer_errors) {
    Rng rng(0);
    nn::Linear<double> lin(3, 2, true, rng, "fc");
    nn::SGDOptions bad;
    bad.momentum = -0.5;
    BOOST_CHECK_EXCEPTION(nn::SGD<double>(lin.parameters(), bad), ValueError, [](const ValueError& e) {
        const std::string m = e.what();
        return m.find("momentum") != std::string::npos && m.find("-0.5") != std::string::npos;
    });
    BOOST_CHECK_THROW(nn::SGD<double>({}, nn::SGDOptions{}), ValueError);
    BOOST_CHECK_THROW(nn::SGD<double>({&lin.weight, &lin.weight}, nn::SGDOptions{}), ValueError);
    nn::AdamOptions ab;
    ab.beta1 = 1.0;
    BOOST_CHECK_THROW(nn::Adam<double>(lin.parameters(), ab), ValueError);
    BOOST_CHECK_THROW(nn::GramWhiten<double>(nullptr), ValueError);
    nn::SGD<double> sgd(lin.parameters(), nn::SGDOptions{});
    lin.weight.grad.resize({5});
    BOOST_CHECK_EXCEPTION(sgd.step(), ValueError, [](const ValueError& e) {
        return std::string(e.what()).find("fc.weight") != std::string::npos;
    });
}

BOOST_AUTO_TEST_SUITE_END()
