// Checkpoints: exact round trip of parameters, optimizer state, step count and blob; resuming gives
// the same trajectory as not stopping; every malformed or mismatched file is an IoError naming the file.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "fixtures.hpp"
#include "nn/adam.hpp"
#include "nn/checkpoint.hpp"
#include "nn/dnn.hpp"
#include "nn/gram_whiten.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"

using namespace gt;
using namespace gt::test;

namespace {

std::string tmp_path(const std::string& leaf) {
    return "/tmp/gt_nn_test_" + std::to_string(::getpid()) + "_" + leaf;
}

std::vector<unsigned char> read_bytes(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::string& p, const std::vector<unsigned char>& b) {
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

template <class T>
void train_steps(nn::DNN<T>& model, nn::Optimizer<T>& opt, int first, int count) {
    Tape<T> tape;
    for (int i = first; i < first + count; ++i) {
        Rng data(100 + i);  // step i always sees the same batch
        Tensor<T> x = Tensor<T>::from_shape({8, 6});
        for (T& v : x) v = T(data.normal());
        Labels y(8);
        for (int& c : y) c = static_cast<int>(data.below(3));
        tape.reset();
        opt.zero_grad();
        tape.backward(nn::cross_entropy_loss(model.forward(tape, tape.input(x)).logits, y));
        opt.step();
    }
}

/// IoError whose message contains the path and `what`.
auto io_error_with(const std::string& path, const std::string& what) {
    return [path, what](const IoError& e) {
        const std::string m = e.what();
        const bool ok = m.find(path) != std::string::npos && m.find(what) != std::string::npos;
        if (!ok) BOOST_TEST_MESSAGE("unexpected message: " << m);
        return ok;
    };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(checkpoints)

BOOST_AUTO_TEST_CASE(round_trip_and_resume_equal_an_uninterrupted_run) {
    const std::string path = tmp_path("resume.ckpt");
    nn::AdamOptions ao;
    ao.lr = 0.01;
    Rng r1(9), r2(9), r3(1);
    nn::DNN<double> a(6, 5, 3, 2, true, nn::Activation::GELU, r1), b(6, 5, 3, 2, true, nn::Activation::GELU, r2);
    nn::Adam<double> oa(a.parameters(), ao);
    train_steps(a, oa, 0, 6);  // uninterrupted: 6 steps

    nn::Adam<double> ob(b.parameters(), ao);
    train_steps(b, ob, 0, 3);
    nn::save_checkpoint<double>(path, b.parameters(), &ob, "epoch=3 rng=xyz");
    BOOST_TEST(!std::ifstream(path + ".tmp").good());  // the temp file was renamed away

    nn::DNN<double> c(6, 5, 3, 2, true, nn::Activation::GELU, r3);  // different init
    nn::Adam<double> oc(c.parameters(), ao);
    const std::string blob = nn::load_checkpoint<double>(path, c.parameters(), &oc);
    BOOST_TEST(blob == "epoch=3 rng=xyz");
    BOOST_TEST(oc.steps() == 3u);
    for (std::size_t i = 0; i < c.parameters().size(); ++i)
        BOOST_TEST(rel_err(c.parameters()[i]->value, b.parameters()[i]->value) == 0.0);
    train_steps(c, oc, 3, 3);
    for (std::size_t i = 0; i < c.parameters().size(); ++i)
        BOOST_TEST(rel_err(c.parameters()[i]->value, a.parameters()[i]->value) == 0.0);  // bitwise
    std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(gram_whiten_state_round_trips_through_its_base) {
    const std::string path = tmp_path("whiten.ckpt");
    Rng r1(2), r2(2);
    nn::SGDOptions so;
    so.lr = 0.1;
    so.momentum = 0.9;
    nn::DNN<float> a(6, 5, 3, 1, true, nn::Activation::ReLU, r1), b(6, 5, 3, 1, true, nn::Activation::ReLU, r2);
    nn::GramWhiten<float> oa(std::make_unique<nn::SGD<float>>(a.parameters(), so));
    nn::GramWhiten<float> ob(std::make_unique<nn::SGD<float>>(b.parameters(), so));
    train_steps(a, oa, 0, 2);
    nn::save_checkpoint<float>(path, a.parameters(), &oa);
    BOOST_TEST(nn::load_checkpoint<float>(path, b.parameters(), &ob).empty());
    BOOST_TEST(ob.steps() == 2u);
    auto sa = oa.state(), sb = ob.state();
    BOOST_TEST(sa.size() == 4u);  // one momentum buffer per parameter
    for (std::size_t i = 0; i < sa.size(); ++i) BOOST_TEST(rel_err(*sb[i].tensor, *sa[i].tensor) == 0.0);
    // Parameters only (no optimizer) also load.
    nn::DNN<float> c(6, 5, 3, 1, true, nn::Activation::ReLU, r1);
    nn::load_checkpoint<float>(path, c.parameters(), nullptr);
    BOOST_TEST(rel_err(c.parameters()[0]->value, a.parameters()[0]->value) == 0.0);
    std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(every_bad_file_is_an_io_error_naming_the_file_and_the_difference) {
    const std::string path = tmp_path("bad.ckpt"), bad = tmp_path("bad_copy.ckpt");
    Rng rng(0);
    nn::DNN<double> model(6, 5, 3, 2, true, nn::Activation::GELU, rng);
    nn::SGDOptions so;
    so.momentum = 0.9;
    nn::SGD<double> sgd(model.parameters(), so);
    nn::save_checkpoint<double>(path, model.parameters(), &sgd, "blob");
    const auto good = read_bytes(path);
    auto params = model.parameters();
    const Tensor<double> before = params[0]->value;

    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(tmp_path("missing.ckpt"), params, &sgd), IoError,
                          io_error_with(tmp_path("missing.ckpt"), "cannot open"));

    auto b = good;  // wrong magic
    b[0] = 'X';
    write_bytes(bad, b);
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(bad, params, &sgd), IoError, io_error_with(bad, "magic"));

    b = good;  // wrong version
    b[8] = 99;
    write_bytes(bad, b);
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(bad, params, &sgd), IoError, io_error_with(bad, "version"));

    b = good;  // flipped payload byte
    b[good.size() - 20] ^= 0x40;
    write_bytes(bad, b);
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(bad, params, &sgd), IoError, io_error_with(bad, "checksum"));

    for (std::size_t cut : {std::size_t(12), std::size_t(60), good.size() / 2, good.size() - 1}) {  // truncated
        b.assign(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut));
        write_bytes(bad, b);
        BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(bad, params, &sgd), IoError, io_error_with(bad, "truncated"));
    }
    BOOST_TEST(rel_err(params[0]->value, before) == 0.0);  // nothing was modified by failed loads

    // Wrong dtype.
    Rng r2(0);
    nn::DNN<float> fmodel(6, 5, 3, 2, true, nn::Activation::GELU, r2);
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<float>(path, fmodel.parameters(), nullptr), IoError,
                          io_error_with(path, "float64"));
    // Another model: different widths (shape), different depth (count), different names.
    nn::DNN<double> wider(6, 7, 3, 2, true, nn::Activation::GELU, rng);
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(path, wider.parameters(), nullptr), IoError,
                          io_error_with(path, "layers.0.weight' has shape (5, 6), the model expects (7, 6)"));
    nn::DNN<double> deeper(6, 5, 3, 3, true, nn::Activation::GELU, rng);
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(path, deeper.parameters(), nullptr), IoError,
                          io_error_with(path, "parameters, the model has 8"));
    nn::Parameter<double> w("encoder.0.weight", Tensor<double>::from_shape({5, 6}));
    std::vector<nn::Parameter<double>*> renamed = params;
    renamed[0] = &w;
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(path, renamed, nullptr), IoError,
                          io_error_with(path, "'layers.0.weight', expected 'encoder.0.weight'"));
    // Another optimizer's state.
    nn::Adam<double> adam(model.parameters(), nn::AdamOptions{});
    BOOST_CHECK_EXCEPTION(nn::load_checkpoint<double>(path, params, &adam), IoError,
                          io_error_with(path, "optimizer state is for 'sgd', expected 'adam'"));
    // Unwritable destination.
    BOOST_CHECK_EXCEPTION(nn::save_checkpoint<double>("/nonexistent-dir/x.ckpt", params, &sgd), IoError,
                          io_error_with("/nonexistent-dir/x.ckpt", "cannot open"));
    std::remove(path.c_str());
    std::remove(bad.c_str());
}

// FNV-1a 64 reference values (published test vectors).
BOOST_AUTO_TEST_CASE(fnv1a_matches_reference_vectors) {
    BOOST_TEST(nn::fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    BOOST_TEST(nn::fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    BOOST_TEST(nn::fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
}

BOOST_AUTO_TEST_SUITE_END()
