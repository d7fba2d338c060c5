// Determinism and kill-resume at the library level (nn + datasets):
//  * same seed, same binary, same thread count → bitwise identical losses and parameters;
//    another seed → different ones;
//  * training that is SIGKILLed mid-run (in a child process, checkpointing after every step) and
//    resumed from its last checkpoint ends bitwise equal to an uninterrupted run, and the checkpoint
//    on disk is always a complete one (written to <path>.tmp and renamed).
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "datasets/loader.hpp"
#include "datasets/synthetic.hpp"
#include "nn/adam.hpp"
#include "nn/checkpoint.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"
#include "nn/trainer.hpp"
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
    static constexpr std::size_t kSteps = 40;  // 5 epochs of 8 batches
    data::Dataset<float> ds;
    data::BatchLoader<float> loader;
    Rng rng;
    nn::DNN<float> model;
    nn::Adam<float> opt;
    Tape<float> tape;
    Tensor<float> x;
    Labels y;
    std::size_t step = 0;
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
        tape.reset();
        opt.zero_grad();
        Var<float> loss = nn::cross_entropy_loss(model.forward(tape, tape.input(x)).logits, y);
        losses.push_back(double(loss.item()));
        tape.backward(loss);
        opt.step();
        ++step;
    }
    Trace trace() { return {losses, param_bits(model)}; }

    // The checkpoint blob: loader position, step, and the loss history as exact bit patterns.
    std::string blob() const {
        std::ostringstream s;
        s << loader.state() << '\n' << step << '\n';
        for (double l : losses) {
            std::uint64_t u;
            std::memcpy(&u, &l, 8);
            s << u << ' ';
        }
        return s.str();
    }
    void save(const std::string& path) { nn::save_checkpoint<float>(path, model.parameters(), &opt, blob()); }
    void load(const std::string& path) {
        std::istringstream s(nn::load_checkpoint<float>(path, model.parameters(), &opt));
        std::string state;
        std::getline(s, state);
        loader.restore(state);
        s >> step;
        losses.clear();
        for (std::uint64_t u; s >> u;) {
            double l;
            std::memcpy(&l, &u, 8);
            losses.push_back(l);
        }
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

BOOST_AUTO_TEST_CASE(same_seed_with_the_trainer_gives_identical_epochs) {
    auto run = [](std::uint64_t seed) {
        const data::Dataset<double> ds = data::make_swissroll<double>(200, seed);
        data::BatchLoader<double> loader(ds, 25, true, seed);
        Rng rng(seed);
        nn::DNN<double> model(2, 16, 1, 2, true, nn::Activation::ReLU, rng);
        nn::SGD<double> opt(model.parameters(), nn::SGDOptions{0.05, 0.9, 0.0, false});
        nn::TrainerOptions to;
        to.stream = nullptr;
        nn::Trainer<double> tr(model, opt, [&](Tape<double>& t, const nn::Batch<double>& b) {
            return nn::StepOutput<double>{nn::mse_loss(model.forward(t, t.input(b.x)).logits, t.input(b.target)), {}};
        }, to);
        auto src = nn::batch_source<double>(loader, true);
        Trace tr_out;
        for (int e = 0; e < 3; ++e) tr_out.losses.push_back(tr.train_epoch(src).loss);
        tr_out.params = param_bits(model);
        return tr_out;
    };
    BOOST_TEST((run(3) == run(3)));
    BOOST_TEST(!(run(3) == run(4)));
}

BOOST_AUTO_TEST_CASE(checkpoint_reload_continue_equals_uninterrupted) {
    const Trace reference = uninterrupted(11);
    TempDir dir;
    for (std::size_t stop : {1u, 8u, 13u, 39u}) {  // first step, epoch boundary, mid-epoch, last step
        {
            Setup s(11);
            while (s.step < stop) s.train_step();
            s.save(dir.file("ckpt"));
        }  // "crash": everything in memory is gone
        Setup r(11);
        r.load(dir.file("ckpt"));
        BOOST_TEST(r.step == stop);
        while (r.step < Setup::kSteps) r.train_step();
        BOOST_TEST((r.trace() == reference), "resumed after step " << stop);
    }
}

BOOST_AUTO_TEST_CASE(sigkill_mid_run_then_resume_equals_uninterrupted) {
    const Trace reference = uninterrupted(21);
    TempDir dir;
    const std::string ckpt = dir.file("ckpt");
    int fds[2];
    BOOST_TEST_REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    BOOST_TEST_REQUIRE(pid >= 0);
    if (pid == 0) {  // the run to be killed: checkpoint after every step, report the step
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

    // Restart: the checkpoint on disk is a complete one (a killed write leaves only ckpt.tmp).
    Setup r(21);
    BOOST_REQUIRE_NO_THROW(r.load(ckpt));
    BOOST_TEST(r.step >= 12u);
    BOOST_TEST(r.step < Setup::kSteps);
    while (r.step < Setup::kSteps) r.train_step();
    BOOST_TEST((r.trace() == reference));
}

BOOST_AUTO_TEST_SUITE_END()
