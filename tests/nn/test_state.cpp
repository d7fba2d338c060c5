// Saved states (nn/state.hpp): an exact round trip of parameters, optimizer buffers, step count and
// `extra` (SGD with momentum, Adam, Gram whitening; float and double; weights only); resuming gives the
// same next steps as not stopping; a state of another model, optimizer or dtype is refused with
// nn/state.cpp's message and leaves the model as it was. Damaged files: tests/reliability/test_resume_verification.cpp.
#include <memory>
#include <string>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "fixtures.hpp"
#include "nn/adam.hpp"
#include "nn/dnn.hpp"
#include "nn/gram_whiten.hpp"
#include "nn/sgd.hpp"
#include "nn/state.hpp"
#include "nn/training_loop.hpp"
#include "platform/files.hpp"
#include "tests/common/temp_dir.hpp"

using namespace gt;
using namespace gt::test;
using nlohmann::json;

namespace {

struct Scratch : gt::testing::ScratchDir {
    Scratch() : ScratchDir("gt_nn_state_") {}
};

const std::string kRestart = "; delete the run folder (or choose another --out) to start this run over";

/// `count` steps of the training loop from step `first`; step i always sees the same batch.
template <class T>
void train_steps(nn::DNN<T>& model, nn::Optimizer<T>& opt, long first, long count) {
    Tape<T> tape;
    for (long step = first; step < first + count;) {
        Rng data(100 + step);
        Tensor<T> x = Tensor<T>::from_shape({8, 6});
        for (T& v : x) v = T(data.normal());
        Labels y(8);
        for (int& c : y) c = static_cast<int>(data.below(3));
        nn::train_step(tape, opt, [&](Tape<T>& t) { return nn::classifier_loss(model)(t, x, y); }, {"test", 0}, step);
    }
}

/// Every parameter and optimizer buffer, copied.
template <class T>
std::vector<Tensor<T>> everything(nn::DNN<T>& model, nn::Optimizer<T>* opt) {
    std::vector<Tensor<T>> v;
    for (auto* p : model.parameters()) v.push_back(p->value);
    if (opt)
        for (const auto& s : opt->state()) v.push_back(*s.tensor);
    return v;
}

template <class T>
void expect_equal(const std::vector<Tensor<T>>& a, const std::vector<Tensor<T>>& b) {
    BOOST_TEST_REQUIRE(a.size() == b.size());
    for (std::size_t i = 0; i < a.size(); ++i) BOOST_TEST((a[i] == b[i]), "tensor " << i);  // bitwise
}

/// Saves a trained model and optimizer of kind `make`, loads into a fresh pair: everything equal.
template <class T, class Make>
void round_trip(std::size_t buffers, Make make) {
    Scratch d;
    Rng r1(2), r2(3);
    nn::DNN<T> a(6, 5, 3, 1, true, nn::Activation::ReLU, r1), b(6, 5, 3, 1, true, nn::Activation::ReLU, r2);
    auto oa = make(a), ob = make(b);
    train_steps(a, *oa, 0, 2);
    nn::save_state<T>(d.path, "s", a.parameters(), oa.get(), {{"epoch", 2}});
    BOOST_TEST(nn::load_state<T>(d.path, "s", b.parameters(), ob.get()) == (json{{"epoch", 2}}));
    BOOST_TEST(ob->steps() == 2u);
    BOOST_TEST(ob->state().size() == buffers);
    expect_equal(everything(b, ob.get()), everything(a, oa.get()));
}

const nn::SGDOptions kMomentum{0.1, 0.9, 0.0, false};

template <class T>
std::unique_ptr<nn::Optimizer<T>> sgd(nn::DNN<T>& m) {
    return std::make_unique<nn::SGD<T>>(m.parameters(), kMomentum);
}

/// The error of loading state "s" of `dir` into `model` and `opt` ("IoError: ..."), checking that it
/// changed no weight.
template <class T>
std::string load_error(const fs::path& dir, nn::DNN<T>& model, nn::Optimizer<T>* opt) {
    const auto before = everything<T>(model, nullptr);
    std::string what = "(nothing thrown)";
    try {
        nn::load_state<T>(dir, "s", model.parameters(), opt);
    } catch (const IoError& e) {
        what = std::string("IoError: ") + e.what();
    } catch (const Error& e) {
        what = std::string(dynamic_cast<const ValueError*>(&e) ? "ValueError: " : "Error: ") + e.what();
    }
    expect_equal(everything<T>(model, nullptr), before);
    return what;
}

/// Fixture: a scratch folder `d`, a double GELU DNN 6 → 5 → 3 with `Depth` hidden layers drawn from
/// `rng` = Rng(0) (tests may go on drawing from it), and an SGD-with-momentum `opt` on its parameters.
template <std::size_t Depth>
struct SgdNet {
    Scratch d;
    Rng rng;
    nn::DNN<double> model;
    nn::SGD<double> opt;
    SgdNet() : rng(0), model(6, 5, 3, Depth, true, nn::Activation::GELU, rng), opt(model.parameters(), kMomentum) {}
};

}  // namespace

BOOST_AUTO_TEST_SUITE(saved_state)

BOOST_AUTO_TEST_CASE(sgd_momentum_adam_and_gram_whiten_round_trip_exactly_in_float_and_double) {
    round_trip<float>(4, sgd<float>);  // one momentum buffer per parameter
    round_trip<double>(4, sgd<double>);
    round_trip<double>(8, [](nn::DNN<double>& m) { return std::make_unique<nn::Adam<double>>(m.parameters(), nn::AdamOptions{}); });
    round_trip<float>(4, [](nn::DNN<float>& m) { return std::make_unique<nn::GramWhiten<float>>(sgd(m)); });
}

BOOST_AUTO_TEST_CASE(resume_gives_the_same_next_steps_as_an_uninterrupted_run) {
    Scratch d;
    nn::AdamOptions ao;
    ao.lr = 0.01;
    Rng r1(9), r2(9), r3(1);
    nn::DNN<double> a(6, 5, 3, 2, true, nn::Activation::GELU, r1), b(6, 5, 3, 2, true, nn::Activation::GELU, r2);
    nn::Adam<double> oa(a.parameters(), ao);
    train_steps(a, oa, 0, 6);  // uninterrupted: 6 steps
    nn::Adam<double> ob(b.parameters(), ao);
    train_steps(b, ob, 0, 3);
    nn::save_state<double>(d.path, "s", b.parameters(), &ob, {{"epoch", 3}, {"loader", "xyz"}});
    nn::DNN<double> c(6, 5, 3, 2, true, nn::Activation::GELU, r3);  // another initialisation
    nn::Adam<double> oc(c.parameters(), ao);
    const json extra = nn::load_state<double>(d.path, "s", c.parameters(), &oc);
    BOOST_TEST(extra.at("loader").get<std::string>() == "xyz");
    BOOST_TEST(oc.steps() == 3u);
    train_steps(c, oc, 3, 3);
    expect_equal(everything<double>(c, &oc), everything<double>(a, &oa));
}

BOOST_AUTO_TEST_CASE(weights_only_with_a_null_optimizer) {
    Scratch d;
    Rng r1(4), r2(5);
    nn::DNN<float> a(6, 5, 3, 1, true, nn::Activation::GELU, r1), b(6, 5, 3, 1, true, nn::Activation::GELU, r2);
    nn::SGD<float> oa(a.parameters(), kMomentum);
    train_steps(a, oa, 0, 2);
    // Saved without an optimizer: the weights come back; the manifest records none.
    nn::save_state<float>(d.path, "w", a.parameters(), nullptr, json::object());
    BOOST_TEST(nn::load_state<float>(d.path, "w", b.parameters(), nullptr) == json::object());
    expect_equal(everything<float>(b, nullptr), everything<float>(a, nullptr));
    BOOST_TEST(gt::read_json(d.path / "w" / nn::kManifestName).at("optimizer").is_null());
    // Saved with one, loaded without: the weights load, the optimizer's files are verified, not loaded.
    train_steps(a, oa, 2, 1);
    nn::save_state<float>(d.path, "s", a.parameters(), &oa, json::object());
    nn::SGD<float> ob(b.parameters(), kMomentum);
    const auto buffers = everything<float>(b, &ob);
    nn::load_state<float>(d.path, "s", b.parameters(), nullptr);
    expect_equal(everything<float>(b, nullptr), everything<float>(a, nullptr));
    for (std::size_t k = 0; k < ob.state().size(); ++k) BOOST_TEST((*ob.state()[k].tensor == buffers[4 + k]));
    BOOST_TEST(ob.steps() == 0u);
}

BOOST_FIXTURE_TEST_CASE(no_saved_state_is_null_json_and_changes_nothing, SgdNet<1>) {
    const auto before = everything<double>(model, &opt);
    BOOST_TEST(nn::load_state<double>(d.path, "never", model.parameters(), &opt).is_null());  // no folder
    fs::create_directories(d.path / "empty" / "a");
    BOOST_TEST(nn::load_state<double>(d.path, "empty", model.parameters(), &opt).is_null());  // no file in it
    expect_equal(everything<double>(model, &opt), before);
    BOOST_TEST(opt.steps() == 0u);
}

BOOST_FIXTURE_TEST_CASE(another_model_optimizer_or_dtype_is_refused_and_the_model_untouched, SgdNet<2>) {
    train_steps(model, opt, 0, 1);
    nn::save_state<double>(d.path, "s", model.parameters(), &opt, {{"epoch", 1}});
    const std::string manifest = (d.path / "s" / "manifest.json").string(), slot = (d.path / "s" / "a").string();

    nn::DNN<double> wider(6, 7, 3, 2, true, nn::Activation::GELU, rng);
    BOOST_TEST(load_error<double>(d.path, wider, nullptr) ==
               "IoError: checkpoint " + slot + ": layers.0.weight.npy has shape (5, 6), this model's parameter has (7, 6)" + kRestart);
    nn::DNN<double> deeper(6, 5, 3, 3, true, nn::Activation::GELU, rng);
    BOOST_TEST(load_error<double>(d.path, deeper, nullptr) ==
               "IoError: checkpoint " + manifest + ": lists no layers.3.weight.npy (parameter (3, 5)): it was saved from another model or optimizer" + kRestart);
    nn::DNN<double> shallower(6, 5, 3, 1, true, nn::Activation::GELU, rng);
    BOOST_TEST(load_error<double>(d.path, shallower, nullptr) ==
               "IoError: checkpoint " + manifest + ": lists layers.2.bias.npy, which this model has no place for: it was saved from another model" + kRestart);
    nn::Adam<double> adam(model.parameters(), nn::AdamOptions{});
    BOOST_TEST(load_error<double>(d.path, model, &adam) == "IoError: checkpoint " + manifest + ": optimizer sgd saved, adam expected" + kRestart);
    BOOST_TEST(adam.steps() == 0u);
    Rng frng(0);
    nn::DNN<float> single(6, 5, 3, 2, true, nn::Activation::GELU, frng);
    // The dtype is refused by the .npy reader (platform/npy.hpp), on the first file in name order.
    BOOST_TEST(load_error<float>(d.path, single, nullptr) ==
               "IoError: " + slot + "/layers.0.bias.npy: expected dtype '<f4' (float32), found '<f8' (float64); delete the run "
               "folder (or choose another --out) to start this run over");
}

BOOST_AUTO_TEST_SUITE_END()
