// Determinism and kill-resume at the library level (nn + datasets):
//  * same seed, same binary, same thread count → bitwise identical losses and parameters;
//    another seed → different ones;
//  * training that is SIGKILLed mid-run (in a child process, saving its state after every step) and
//    resumed from its last saved state ends bitwise equal to an uninterrupted run, and the state on
//    disk is always a complete one (nn::save_state: a new slot, then the manifest replaced atomically).
// Every step goes through nn::train_step / nn::train_epoch, the loop the figures use.
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "datasets/loader.hpp"
#include "datasets/synthetic.hpp"
#include "nn/adam.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"
#include "nn/state.hpp"
#include "nn/training_loop.hpp"
#include "tests/reliability/helpers.hpp"

using namespace gt;
using namespace gt::rel;

namespace {

/// Everything a run produces: the loss of every step and the final parameters, as raw bits.
struct Trace {
    std::vector<double> losses;
    std::vector<std::vector<unsigned char>> params;
    bool operator==(const Trace& o) const {
        return losses.size() == o.losses.size() &&
               std::memcmp(losses.data(), o.losses.data(), losses.size() * sizeof(double)) == 0 && params == o.params;
    }
};

template <class T>
std::vector<std::vector<unsigned char>> param_bits(nn::Module<T>& m) {
    std::vector<std::vector<unsigned char>> out;
    for (auto* p : m.parameters()) {
        const auto* b = reinterpret_cast<const unsigned char*>(p->value.data());
        out.emplace_back(b, b + p->value.size() * sizeof(T));
    }
    return out;
}

// One training setup: a quadratic-classification set, a shuffling loader, a GELU MLP and Adam, all
// seeded from `seed`. Steps are counted globally across epochs so a run can stop and resume anywhere.
struct Setup {
    static constexpr long kSteps = 40;  // 5 epochs of 8 batches
    data::Dataset<float> ds;
    data::BatchLoader<float> loader;
    Rng rng;
    nn::DNN<float> model;
    nn::Adam<float> opt;
    Tape<float> tape;
    Tensor<float> x;
    Labels y;
    long step = 0;
    std::vector<double> losses;

    explicit Setup(std::uint64_t seed)
        : ds(data::make_quadratic<float>({256, 12, 4, 0.1, 4}, seed)),
          loader(ds, 32, true, seed),
          rng(seed),
          model(12, 32, 4, 2, true, nn::Activation::GELU, rng),
          opt(model.parameters(), nn::AdamOptions{3e-3, 0.9, 0.999, 1e-8, 0.0}) {}

    void train_step() {
        if (!loader.next(x, y)) {
            loader.start_epoch();
            loader.next(x, y);
        }
        auto loss = nn::classifier_loss(model);
        losses.push_back(nn::train_step(tape, opt, [&](Tape<float>& t) { return loss(t, x, y); }, {"determinism", 0}, step));
    }
    Trace trace() { return {losses, param_bits(model)}; }

    // The state's extra: loader position, step, and the loss history as exact bit patterns.
    void save(const std::filesystem::path& dir) {
        std::vector<std::uint64_t> bits(losses.size());
        std::memcpy(bits.data(), losses.data(), 8 * bits.size());
        nn::save_state<float>(dir, "ckpt", model.parameters(), &opt, {{"loader", loader.state()}, {"step", step}, {"losses", bits}});
    }
    void load(const std::filesystem::path& dir) {
        const nlohmann::json extra = nn::load_state<float>(dir, "ckpt", model.parameters(), &opt);
        if (extra.is_null()) throw std::runtime_error("no saved state under " + dir.string());
        loader.restore(extra.at("loader").get<std::string>());
        step = extra.at("step").get<long>();
        const auto bits = extra.at("losses").get<std::vector<std::uint64_t>>();
        losses.resize(bits.size());
        std::memcpy(losses.data(), bits.data(), 8 * bits.size());
    }
};

Trace uninterrupted(std::uint64_t seed) {
    Setup s(seed);
    while (s.step < Setup::kSteps) s.train_step();
    return s.trace();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(determinism)

BOOST_AUTO_TEST_CASE(same_seed_gives_bitwise_identical_training_and_another_seed_does_not) {
    const Trace a = uninterrupted(7), b = uninterrupted(7), c = uninterrupted(8);
    BOOST_TEST(a.losses.size() == Setup::kSteps);
    BOOST_TEST((a == b));
    BOOST_TEST(!(a == c));
    BOOST_TEST(std::memcmp(a.losses.data(), c.losses.data(), 8) != 0);  // differs from the first step
    Setup fresh(7);
    BOOST_TEST((param_bits(fresh.model) != a.params));                  // and the steps did update
}

BOOST_AUTO_TEST_CASE(same_seed_with_train_epoch_gives_identical_epochs) {
    // The Swiss roll's regression targets, fetched with each batch (train_epoch asks for x and y only).
    struct WithTarget {
        data::BatchLoader<double> loader;
        Tensor<double> target;
        void start_epoch() { loader.start_epoch(); }
        bool next(Tensor<double>& x, Labels& y) { return loader.next(x, y, &target); }
    };
    auto run = [](std::uint64_t seed) {
        const data::Dataset<double> ds = data::make_swissroll<double>(200, seed);
        WithTarget loader{data::BatchLoader<double>(ds, 25, true, seed), {}};
        Rng rng(seed);
        nn::DNN<double> model(2, 16, 1, 2, true, nn::Activation::ReLU, rng);
        nn::SGD<double> opt(model.parameters(), nn::SGDOptions{0.05, 0.9, 0.0, false});
        Tape<double> tape;
        auto mse = [&](Tape<double>& t, const Tensor<double>& x, const Labels&) {
            return nn::mse_loss(model.forward(t, t.input(x)).logits, t.input(loader.target));
        };
        long step = 0;
        Trace tr_out;
        for (long e = 1; e <= 3; ++e) tr_out.losses.push_back(nn::train_epoch(loader, tape, opt, mse, {"swissroll", e}, step));
        tr_out.params = param_bits(model);
        return tr_out;
    };
    BOOST_TEST((run(3) == run(3)));
    BOOST_TEST(!(run(3) == run(4)));
}

BOOST_AUTO_TEST_CASE(checkpoint_reload_continue_equals_uninterrupted) {  // a saved state, reloaded
    const Trace reference = uninterrupted(11);
    TempDir dir;
    for (long stop : {1, 8, 13, 39}) {  // first step, epoch boundary, mid-epoch, last step
        {
            Setup s(11);
            while (s.step < stop) s.train_step();
            s.save(dir.path);
        }  // "crash": everything in memory is gone
        Setup r(11);
        r.load(dir.path);
        BOOST_TEST(r.step == stop);
        while (r.step < Setup::kSteps) r.train_step();
        BOOST_TEST((r.trace() == reference), "resumed after step " << stop);
    }
}

BOOST_AUTO_TEST_CASE(sigkill_mid_run_then_resume_equals_uninterrupted) {
    const Trace reference = uninterrupted(21);
    TempDir dir;
    const std::filesystem::path& ckpt = dir.path;
    int fds[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {  // the run to be killed: save the state after every step, report the step
        ::close(fds[0]);
        Setup s(21);
        while (s.step < Setup::kSteps) {
            s.train_step();
            s.save(ckpt);
            const unsigned char k = static_cast<unsigned char>(s.step);
            (void)!::write(fds[1], &k, 1);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    unsigned char k = 0;
    while (k < 12 && ::read(fds[0], &k, 1) == 1) {
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(fds[0]);
    BOOST_TEST_REQUIRE(WIFSIGNALED(status));
    BOOST_TEST(WTERMSIG(status) == SIGKILL);

    // Restart: the state on disk is a complete one (a killed save leaves the previous manifest and slot).
    Setup r(21);
    BOOST_REQUIRE_NO_THROW(r.load(ckpt));
    BOOST_TEST(r.step >= 12);
    BOOST_TEST(r.step < Setup::kSteps);
    while (r.step < Setup::kSteps) r.train_step();
    BOOST_TEST((r.trace() == reference));
}

BOOST_AUTO_TEST_SUITE_END()
