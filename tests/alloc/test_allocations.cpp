// A steady training step allocates nothing (README, "tape.reset() keeps node buffers").
//
// This program replaces the global operator new / new[] (plain, nothrow, aligned, aligned nothrow) with
// a counting version and runs, for each workload, a few warm-up steps and then N steady training steps
// exactly as nn::train_epoch runs them for the figure drivers (experiments/training.hpp
// train_classifier_epoch, fig5_vae.cpp): loader.next(x, y) into reused buffers, then nn::train_step
// (tape.reset(); opt.zero_grad(); forward; backward; finite check of the loss; opt.step()).
// Every steady step must make zero heap allocations. The count of each step is printed.
//
// Finding an allocation site: GT_ALLOC_TRACE=1 prints a backtrace (backtrace_symbols_fd, the program is
// linked with -rdynamic) for every counted allocation; GT_ALLOC_ABORT=1 aborts at the first one, e.g.
//   GT_ALLOC_ABORT=1 gdb -batch -ex run -ex bt build/tests/alloc/test_allocations
#include <execinfo.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "autodiff/autodiff.hpp"
#include "autodiff/ops_conv.hpp"
#include "datasets/dataset.hpp"
#include "datasets/loader.hpp"
#include "nn/adam.hpp"
#include "nn/cnn.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/schedule.hpp"
#include "nn/sgd.hpp"
#include "nn/training_loop.hpp"
#include "nn/transformer.hpp"
#include "nn/vae.hpp"

// ---- the counting allocator -------------------------------------------------------------------------

namespace {
std::atomic<bool> g_armed{false};
std::atomic<long> g_count{0};
bool g_trace = false, g_abort = false;
thread_local bool t_in_trace = false;

void note_allocation(std::size_t n) {
    if (!g_armed.load(std::memory_order_relaxed) || t_in_trace) return;
    g_count.fetch_add(1, std::memory_order_relaxed);
    if (g_abort) std::abort();
    if (g_trace) {
        t_in_trace = true;
        char line[64];
        const int len = std::snprintf(line, sizeof line, "---- allocation of %zu bytes:\n", n);
        if (len > 0) (void)!write(2, line, std::size_t(len));
        void* frames[32];
        const int depth = backtrace(frames, 32);
        backtrace_symbols_fd(frames, depth, 2);
        t_in_trace = false;
    }
}

void* allocate(std::size_t n, std::size_t align, bool nothrow) {
    note_allocation(n);
    if (n == 0) n = 1;
    void* p = nullptr;
    if (align <= alignof(std::max_align_t)) {
        p = std::malloc(n);
    } else if (posix_memalign(&p, align, n) != 0) {
        p = nullptr;
    }
    if (!p && !nothrow) throw std::bad_alloc();
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n, 0, false); }
void* operator new[](std::size_t n) { return allocate(n, 0, false); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0, true); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n, 0, true); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate(n, std::size_t(a), false); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate(n, std::size_t(a), false); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, std::size_t(a), true);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return allocate(n, std::size_t(a), true);
}
// malloc and posix_memalign memory are both released by free().
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

// ---- workloads --------------------------------------------------------------------------------------

namespace {

using namespace gt;

constexpr int kWarmup = 3;
constexpr int kSteady = 8;
constexpr std::size_t kBatch = 16;
constexpr std::size_t kSamples = kBatch * (kWarmup + kSteady);  // one epoch, every batch full

// An MNIST-like classification set: n samples of shape `sample`, pixels in [0, 1], 10 classes.
template <class T>
data::Dataset<T> synthetic(const Shape& sample, std::size_t n, std::uint64_t seed) {
    data::Dataset<T> d;
    d.name = "synthetic";
    d.num_classes = 10;
    Shape s{n};
    s.insert(s.end(), sample.begin(), sample.end());
    d.x = Tensor<T>::from_shape(s);
    Rng rng(seed);
    for (T& v : d.x) v = static_cast<T>(rng.uniform(0.0, 1.0));
    for (std::size_t i = 0; i < n; ++i) d.y.push_back(static_cast<int>(i % 10));
    return d;
}

// Runs kWarmup + kSteady steps; `step` fetches a batch and trains on it, returning false at the end of
// the data. Prints the allocations of each steady step; returns their total.
long run_workload(const std::string& name, const std::function<bool()>& step) {
    for (int i = 0; i < kWarmup; ++i)
        if (!step()) {
            std::printf("%-34s ran out of data during warm-up\n", name.c_str());
            return 1;
        }
    std::vector<long> counts;
    counts.reserve(kSteady);
    long total = 0;
    for (int i = 0; i < kSteady; ++i) {
        g_count.store(0);
        g_armed.store(true);
        const bool ok = step();
        g_armed.store(false);
        const long c = g_count.load();
        if (!ok) {
            std::printf("%-34s ran out of data during the steady steps\n", name.c_str());
            return total + 1;
        }
        counts.push_back(c);
        total += c;
    }
    std::printf("%-34s allocations in %d steady steps: %ld (per step:", name.c_str(), kSteady, total);
    for (long c : counts) std::printf(" %ld", c);
    std::printf(")%s\n", total ? "  FAIL" : "");
    return total;
}

// nn::train_epoch's loop body: a batch from the loader, then one nn::train_step on make_loss(tape, x, y).
template <class T, class MakeLoss>
struct Loop {
    data::BatchLoader<T>& loader;
    Tape<T>& tape;
    nn::Optimizer<T>& opt;
    MakeLoss make_loss;
    nn::StepPlace place{"allocations", 1};
    long step = 0;
    Tensor<T> x;
    Labels y;
    double loss_sum = 0;

    bool operator()() {
        if (!loader.next(x, y)) return false;
        loss_sum += nn::train_step(tape, opt, [this](Tape<T>& t) { return make_loss(t, x, y); }, place, step);
        return true;
    }
};
template <class T, class MakeLoss>
Loop<T, MakeLoss> loop(data::BatchLoader<T>& loader, Tape<T>& tape, nn::Optimizer<T>& opt, MakeLoss make_loss) {
    loader.start_epoch();
    return {loader, tape, opt, std::move(make_loss)};
}

template <class T>
long mlp(const std::string& name, bool adam) {
    const data::Dataset<T> d = synthetic<T>({784}, kSamples, 1);
    Rng rng(0);
    nn::DNN<T> model(784, 64, 10, 2, true, nn::Activation::GELU, rng);
    std::unique_ptr<nn::Optimizer<T>> opt;
    if (adam) {
        nn::AdamOptions ao;
        ao.lr = 5e-4;
        opt = std::make_unique<nn::Adam<T>>(model.parameters(), ao);
    } else {
        opt = std::make_unique<nn::SGD<T>>(model.parameters(), nn::SGDOptions{5e-3, 0.8, 0.0, false});
    }
    data::BatchLoader<T> loader(d, kBatch, true, 3);
    Tape<T> tape;
    auto l = loop(loader, tape, *opt, nn::classifier_loss(model));
    return run_workload(name, std::ref(l));
}

template <class T>
long cnn(const std::string& name, ConvAlgorithm algo, int threads) {
    set_conv_algorithm(algo);
    set_num_threads(threads);
    const data::Dataset<T> d = synthetic<T>({1, 28, 28}, kSamples, 2);
    Rng rng(0);
    nn::CNN<T> model(1, 28, 28, 10, rng);  // 3 × [conv 3×3, 16 channels] with 2×2 max-pools, ReLU
    nn::SGD<T> opt(model.parameters(), nn::SGDOptions{1e-2, 0.9, 0.0, false});
    data::BatchLoader<T> loader(d, kBatch, true, 4);
    Tape<T> tape;
    auto l = loop(loader, tape, opt, nn::classifier_loss(model));
    const long r = run_workload(name, std::ref(l));
    set_conv_algorithm(ConvAlgorithm::Auto);
    set_num_threads(1);
    return r;
}

// fig5_vae.cpp's loop body.
template <class T>
long vae(const std::string& name) {
    const data::Dataset<T> d = synthetic<T>({784}, kSamples, 5);
    Rng init(0);
    nn::VAE<T> model(784, init, 64, 8);
    nn::AdamOptions ao;
    ao.lr = 1e-3;
    nn::Adam<T> opt(model.parameters(), ao);
    data::BatchLoader<T> loader(d, kBatch, true, 6);
    Rng noise(7919);
    Tape<T> tape;
    auto l = loop(loader, tape, opt, [&](Tape<T>& t, const Tensor<T>& x, const Labels&) {
        const auto o = model.forward(t, t.input(x), noise);
        return nn::vae_loss(o.recon, o.x, o.mu, o.logvar, static_cast<T>(1.0));
    });
    return run_workload(name, std::ref(l));
}

// The text-classification fine-tuning step: encoder + [CLS] classifier with dropout, AdamW, global-norm
// clipping after backward and the warmup schedule after each step. Batches of one shape (B × 12 tokens,
// padded at the row ends) built beforehand, as a loader would fill its reused buffers.
template <class T>
long encoder_classifier(const std::string& name) {
    nn::EncoderConfig c;
    c.vocab_size = 60;
    c.max_len = 16;
    c.d_model = 32;
    c.heads = 4;
    c.layers = 2;
    c.d_ff = 64;
    c.dropout = 0.1;
    Rng init(0), data(1), drop(2);
    nn::TransformerEncoder<T> encoder(c, init);
    nn::SequenceClassifier<T> head(c, 3, init);
    std::vector<nn::Parameter<T>*> params = encoder.parameters();
    nn::append_parameters(params, head);
    nn::AdamW<T> opt(params, nn::adamw_defaults());
    const std::size_t length = 12;
    std::vector<nn::TokenBatch> batches(kWarmup + kSteady);
    std::vector<Labels> labels(batches.size());
    for (std::size_t i = 0; i < batches.size(); ++i) {
        nn::TokenBatch& b = batches[i];
        b.batch = kBatch;
        b.length = length;
        for (std::size_t r = 0; r < kBatch; ++r) {
            const std::size_t real = 2 + data.below(length - 1);
            for (std::size_t j = 0; j < length; ++j) {
                b.ids.push_back(j == 0 ? 2 : j < real ? 4 + int(data.below(c.vocab_size - 4)) : 0);
                b.padding.push_back(j < real ? 0 : 1);
            }
            labels[i].push_back(int(data.below(3)));
        }
    }
    nn::StepHooks<T> hooks;
    hooks.after_backward = [&params](Tape<T>&) { nn::clip_grad_norm(params, 1.0); };
    hooks.after_step = [&opt](long step, double) { opt.set_lr(2e-4 * nn::linear_warmup_decay(step, 4, 40)); };
    Tape<T> tape;
    nn::StepPlace place{"allocations", 1};
    long step = 0;
    std::size_t next = 0;
    return run_workload(name, [&]() {
        if (next == batches.size()) return false;
        const nn::TokenBatch& b = batches[next];
        const Labels& y = labels[next++];
        nn::train_step(tape, opt, [&](Tape<T>& t) {
            const nn::EncoderOutput<T>& out = encoder.forward(t, b, &drop);
            return cross_entropy(head.forward(t, out.hidden.back(), &drop), y);
        }, place, step, hooks);
        return true;
    });
}

}  // namespace

int main() {
    g_trace = std::getenv("GT_ALLOC_TRACE") != nullptr;
    g_abort = std::getenv("GT_ALLOC_ABORT") != nullptr;
    {  // backtrace() loads libgcc on its first call: do that before anything is counted
        void* frames[4];
        (void)backtrace(frames, 4);
    }
    set_num_threads(1);
    long total = 0;
    total += mlp<float>("mlp float32, SGD momentum", false);
    total += mlp<float>("mlp float32, Adam", true);
    total += mlp<double>("mlp float64, SGD momentum", false);
    total += cnn<float>("cnn float32, SGD momentum", ConvAlgorithm::Auto, 1);
    total += cnn<float>("cnn float32, im2col path", ConvAlgorithm::Im2col, 1);
    total += cnn<float>("cnn float32, 2 threads", ConvAlgorithm::Auto, 2);
    total += cnn<double>("cnn float64, SGD momentum", ConvAlgorithm::Auto, 1);
    total += vae<float>("vae float32, Adam");
    total += encoder_classifier<float>("encoder+cls float32, AdamW");
    total += encoder_classifier<double>("encoder+cls float64, AdamW");
    std::printf("%s: %ld allocations in steady training steps (expected 0)\n", total ? "FAIL" : "OK", total);
    return total ? 1 : 0;
}
