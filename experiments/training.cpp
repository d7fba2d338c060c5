#include "experiments/training.hpp"

#include "datasets/npy.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <xtensor/xnpy.hpp>

#include "autodiff/autodiff.hpp"
#include "datasets/registry.hpp"
#include "datasets/subset.hpp"
#include "experiments/figure.hpp"
#include "experiments/io.hpp"

namespace gt::experiments {

template <class T>
data::Split<T> load_split(const RunContext& ctx) {
    data::LoadOptions o;
    o.data_dir = ctx.data_dir();
    o.seed = ctx.config.value("subset_seed", 0);
    o.n = ctx.config.value("train_subset", 0);
    return data::load<T>(ctx.dataset(), o);
}

template <class T>
std::pair<double, double> loss_and_accuracy(nn::DNN<T>& model, const data::Dataset<T>& d) {
    const std::size_t n = d.size(), bs = 1000;
    std::size_t correct = 0;
    double loss = 0.0;
    Tape<T> tape;
    NoGradGuard<T> guard(tape);
    const Shape ss = d.sample_shape();
    const std::size_t per = numel(ss);
    for (std::size_t s = 0; s < n; s += bs) {
        const std::size_t b = std::min(bs, n - s);
        tape.reset();
        Tensor<T> x = Tensor<T>::from_shape({b, per});
        std::copy(d.x.data() + s * per, d.x.data() + (s + b) * per, x.data());
        Labels y(d.y.begin() + s, d.y.begin() + s + b);
        const auto out = model.forward(tape, tape.input(std::move(x)));
        const Tensor<T>& logits = out.logits.value();
        const std::size_t c = logits.shape()[1];
        loss += static_cast<double>(cross_entropy(out.logits, y).item()) * b;
        for (std::size_t i = 0; i < b; ++i) {
            const T* row = logits.data() + i * c;
            std::size_t best = 0;
            for (std::size_t k = 1; k < c; ++k)
                if (row[k] > row[best]) best = k;
            correct += static_cast<int>(best) == y[i];
        }
    }
    return {loss / n, static_cast<double>(correct) / n};
}

template <class T>
double accuracy(nn::DNN<T>& model, const data::Dataset<T>& d) {
    return loss_and_accuracy(model, d).second;
}

template <class T>
void save_state(const fs::path& dir, const std::string& tag, const std::vector<nn::Parameter<T>*>& params,
                nn::Optimizer<T>* opt, const json& extra) {
    const fs::path d = dir / tag;
    fs::create_directories(d);
    std::error_code ec;
    fs::remove(d / "state.json", ec);  // invalid until the new state is complete
    for (auto* p : params) save_npy(d / (p->name + ".npy"), p->value);
    json j;
    j["extra"] = extra;
    if (opt) {
        j["optimizer"] = opt->kind();
        j["steps"] = opt->steps();
        for (const auto& s : opt->state()) save_npy(d / ("opt." + s.name + ".npy"), *s.tensor);
    }
    write_json_atomic(d / "state.json", j);
}

template <class T>
json load_state(const fs::path& dir, const std::string& tag, const std::vector<nn::Parameter<T>*>& params,
                nn::Optimizer<T>* opt) {
    const fs::path d = dir / tag;
    if (!fs::exists(d / "state.json")) return json();
    const json j = read_json(d / "state.json");
    auto load_into = [&](const fs::path& f, Tensor<T>& t) {
        if (!fs::exists(f)) throw IoError("checkpoint " + d.string() + ": missing " + f.filename().string());
        Tensor<T> v = data::read_npy<T>(f.string());
        if (v.shape() != t.shape())
            throw IoError(fmt::format("checkpoint {}: {} has shape {}, expected {}", d.string(), f.filename().string(),
                                      shape_str(shape_of(v)), shape_str(shape_of(t))));
        t = std::move(v);
    };
    for (auto* p : params) load_into(d / (p->name + ".npy"), p->value);
    if (opt) {
        if (j.value("optimizer", std::string()) != opt->kind())
            throw IoError(fmt::format("checkpoint {}: optimizer {} saved, {} expected", d.string(),
                                      j.value("optimizer", std::string("none")), opt->kind()));
        for (const auto& s : opt->state()) {
            const fs::path f = d / ("opt." + s.name + ".npy");
            if (fs::exists(f)) {
                Tensor<T> v = data::read_npy<T>(f.string());
                *s.tensor = std::move(v);
            }
        }
        opt->set_steps(j.value("steps", std::uint64_t(0)));
    }
    return j.at("extra");
}

void maybe_interrupt(long epoch) {
    const char* e = std::getenv("GT_INTERRUPT_AFTER_EPOCH");
    if (e && std::atol(e) == epoch) throw Error(fmt::format("interrupted after epoch {} (GT_INTERRUPT_AFTER_EPOCH)", epoch));
}

long epochs_done(const RunContext& ctx, const std::string& run) {
    return ctx.folder->progress().value("runs", json::object()).value(run, json::object()).value("epoch", 0L);
}

template <class T>
long start_or_resume(RunContext& ctx, const std::string& run, const std::string& tag,
                     const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt,
                     data::BatchLoader<T>& loader, const std::function<void()>& fresh) {
    const json extra = load_state<T>(ctx.folder->checkpoint_dir(), tag, params, opt);
    if (extra.is_null()) {
        ctx.metrics->drop_run(run);
        fresh();
        return 0;
    }
    const long epoch = extra.at("epoch").get<long>();
    loader.restore(extra.at("loader").get<std::string>());
    ctx.metrics->drop_after(run, epoch);
    return epoch;
}

template <class T>
void finish_epoch(RunContext& ctx, const std::string& run, const std::string& tag,
                  const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt,
                  const data::BatchLoader<T>& loader, long epoch) {
    ctx.metrics->flush();
    save_state<T>(ctx.folder->checkpoint_dir(), tag, params, opt, {{"epoch", epoch}, {"loader", loader.state()}});
    json p = ctx.folder->progress();
    p["runs"][run] = {{"epoch", epoch}};
    ctx.folder->save_progress(p);
    maybe_interrupt(epoch);
}

double mean_of(const std::vector<double>& v) {
    if (v.empty()) return std::nan("");
    double s = 0;
    for (double x : v) s += x;
    return s / v.size();
}

double std_of(const std::vector<double>& v) {
    if (v.size() < 2) return 0.0;
    const double m = mean_of(v);
    double s = 0;
    for (double x : v) s += (x - m) * (x - m);
    return std::sqrt(s / v.size());  // np.std (ddof 0), as the paper's notebook
}

std::string mean_pm(const std::vector<double>& v, int digits) {
    if (v.size() < 2) return fmt_num(mean_of(v), digits);
    return fmt_num(mean_of(v), digits) + " ± " + fmt_num(std_of(v), 2);
}

#define GT_INST(T)                                                                                              \
    template data::Split<T> load_split<T>(const RunContext&);                                                   \
    template double accuracy<T>(nn::DNN<T>&, const data::Dataset<T>&);                                          \
    template std::pair<double, double> loss_and_accuracy<T>(nn::DNN<T>&, const data::Dataset<T>&);             \
    template void save_state<T>(const fs::path&, const std::string&, const std::vector<nn::Parameter<T>*>&,     \
                                nn::Optimizer<T>*, const json&);                                                \
    template json load_state<T>(const fs::path&, const std::string&, const std::vector<nn::Parameter<T>*>&,     \
                                nn::Optimizer<T>*);                                                             \
    template long start_or_resume<T>(RunContext&, const std::string&, const std::string&,                       \
                                     const std::vector<nn::Parameter<T>*>&, nn::Optimizer<T>*,                  \
                                     data::BatchLoader<T>&, const std::function<void()>&);                      \
    template void finish_epoch<T>(RunContext&, const std::string&, const std::string&,                          \
                                  const std::vector<nn::Parameter<T>*>&, nn::Optimizer<T>*,                     \
                                  const data::BatchLoader<T>&, long);
GT_INST(float)
GT_INST(double)

}  // namespace gt::experiments
