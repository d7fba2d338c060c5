// The training loop on tiny in-test data: loss decreases, callbacks see gradients before the update,
// evaluation records nothing, and a non-finite loss is reported with its epoch and step.
#include <cmath>
#include <limits>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "fixtures.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"
#include "nn/trainer.hpp"

using namespace gt;
using namespace gt::test;

namespace {

/// Two Gaussian blobs in 4-D, fixed batches in order (a minimal stand-in for data::BatchLoader).
struct TinyLoader {
    std::vector<Tensor<double>> xs;
    std::vector<Labels> ys;
    std::size_t pos = 0;
    explicit TinyLoader(std::size_t batches) {
        Rng rng(11);
        for (std::size_t b = 0; b < batches; ++b) {
            Tensor<double> x = Tensor<double>::from_shape({16, 4});
            Labels y(16);
            for (std::size_t i = 0; i < 16; ++i) {
                y[i] = static_cast<int>(rng.below(2));
                for (std::size_t j = 0; j < 4; ++j) x(i, j) = rng.normal(y[i] ? 1.0 : -1.0, 1.0);
            }
            xs.push_back(x);
            ys.push_back(y);
        }
    }
    std::size_t num_batches() const { return xs.size(); }
    void start_epoch() { pos = 0; }
    bool next(Tensor<double>& x, Labels& y, Tensor<double>*) {
        if (pos == xs.size()) return false;
        x = xs[pos];
        y = ys[pos++];
        return true;
    }
};

nn::StepFn<double> classify(nn::DNN<double>& model) {
    return [&model](Tape<double>& t, const nn::Batch<double>& b) {
        auto out = model.forward(t, t.input(b.x));
        return nn::StepOutput<double>{nn::cross_entropy_loss(out.logits, b.y), out.logits};
    };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(trainer)

BOOST_AUTO_TEST_CASE(loss_decreases_and_callbacks_see_pre_update_gradients) {
    Rng rng(0);
    nn::DNN<double> model(4, 8, 2, 1, true, nn::Activation::GELU, rng);
    nn::SGDOptions so;
    so.lr = 0.1;
    so.momentum = 0.9;
    nn::SGD<double> opt(model.parameters(), so);
    nn::TrainerOptions to;
    to.stream = nullptr;  // silent
    nn::Trainer<double> tr(model, opt, classify(model), to);
    TinyLoader data(10);
    auto src = nn::batch_source<double>(data);

    const nn::EvalStats before = tr.evaluate(src);
    std::size_t calls = 0, epochs = 0, ends = 0;
    tr.on_after_backward = [&](const nn::StepInfo<double>& s) {
        // The gradient is readable and the leaf still holds W before the update: ∂L/∂b = Σ_rows ∂L/∂z.
        const Tensor<double>& gb = model.linears()[1]->bias.grad;
        BOOST_TEST(gb.size() == 2u);
        BOOST_TEST(std::abs(gb(0) + gb(1)) < 1e-12);  // softmax − onehot rows sum to zero
        BOOST_TEST(s.step == calls % 10);
        BOOST_TEST(s.global_step == calls);
        BOOST_TEST(std::isfinite(s.loss));
        ++calls;
    };
    tr.on_step_end = [&](const nn::StepInfo<double>&) { ++ends; };
    tr.on_epoch_end = [&](const nn::EpochStats& e) { BOOST_TEST(e.epoch == epochs++); };
    nn::EpochStats last;
    for (int e = 0; e < 5; ++e) last = tr.train_epoch(src);
    const nn::EvalStats after = tr.evaluate(src);
    BOOST_TEST(calls == 50u);
    BOOST_TEST(ends == 50u);
    BOOST_TEST(epochs == 5u);
    BOOST_TEST(last.samples == 160u);
    BOOST_TEST(tr.global_step() == 50u);
    BOOST_TEST(after.loss < 0.6 * before.loss);
    BOOST_TEST(after.accuracy > 0.85);
    BOOST_TEST(before.samples == 160u);

    // Evaluation is recomputed here independently: mean loss over all samples, and accuracy.
    double loss = 0;
    std::size_t correct = 0;
    Tape<double> t;
    for (std::size_t b = 0; b < data.xs.size(); ++b) {
        t.reset();
        auto out = model.forward(t, t.input(data.xs[b]));
        loss += double(nn::cross_entropy_loss(out.logits, data.ys[b]).item()) * 16;
        for (std::size_t i = 0; i < 16; ++i)
            correct += (out.logits.value()(i, 1) > out.logits.value()(i, 0)) == (data.ys[b][i] == 1);
    }
    BOOST_TEST(after.loss == loss / 160, boost::test_tools::tolerance(1e-12));
    BOOST_TEST(after.accuracy == double(correct) / 160, boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(non_finite_loss_names_epoch_and_step) {
    Rng rng(0);
    nn::DNN<double> model(4, 8, 2, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> opt(model.parameters(), nn::SGDOptions{});
    nn::TrainerOptions to;
    to.stream = nullptr;
    TinyLoader data(4);
    data.xs[2](3, 1) = std::numeric_limits<double>::quiet_NaN();  // poisons the third batch
    nn::Trainer<double> tr(model, opt, classify(model), to);
    auto src = nn::batch_source<double>(data);
    BOOST_CHECK_EXCEPTION(tr.train_epoch(src), ValueError, [](const ValueError& e) {
        const std::string m = e.what();
        BOOST_TEST_MESSAGE(m);
        return m.find("epoch 0, step 2") != std::string::npos && m.find("nan") != std::string::npos;
    });
    BOOST_CHECK_THROW(nn::Trainer<double>(model, opt, nullptr, to), ValueError);
}

BOOST_AUTO_TEST_CASE(progress_lines_when_not_a_terminal) {
    Rng rng(0);
    nn::DNN<double> model(4, 8, 2, 1, true, nn::Activation::GELU, rng);
    nn::SGD<double> opt(model.parameters(), nn::SGDOptions{});
    std::FILE* f = std::tmpfile();
    nn::TrainerOptions to;
    to.stream = f;
    to.print_every = 2;
    to.name = "tiny";
    nn::Trainer<double> tr(model, opt, classify(model), to);
    TinyLoader data(5);
    auto src = nn::batch_source<double>(data);
    tr.train_epoch(src);
    std::rewind(f);
    char buf[4096] = {};
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    const std::string out(buf, n);
    BOOST_TEST_MESSAGE(out);
    BOOST_TEST(out.find("tiny epoch 0 step 2/5") != std::string::npos);
    BOOST_TEST(out.find("tiny epoch 0 step 5/5") != std::string::npos);
    BOOST_TEST(out.find('\r') == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
