#include "experiments/training.hpp"

#include "platform/npy.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <xtensor/xnpy.hpp>

#include "autodiff/autodiff.hpp"
#include "datasets/registry.hpp"
#include "datasets/subset.hpp"
#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "platform/files.hpp"
#include "platform/sha256.hpp"

namespace gt::experiments {

template <class T>
data::Split<T> load_split(const RunContext& ctx) {
    data::LoadOptions o;
    o.data_dir = ctx.data_dir();
    o.seed = ctx.config.value("subset_seed", 0);
    o.n = ctx.config.value("train_subset", 0);
    data::Split<T> split = data::load<T>(ctx.dataset(), o);
    if (ctx.folder) ctx.folder->check_data_fingerprint(ctx.dataset(), data_fingerprint(split), o.data_dir);
    return split;
}

template <class T>
std::string data_fingerprint(const data::Split<T>& s) {
    Sha256 h;
    for (const data::Dataset<T>* d : {&s.train, &s.test}) {
        const std::uint64_t n[2] = {d->x.size(), d->y.size()};
        h.update(n, sizeof n);
        h.update(d->x.data(), d->x.size() * sizeof(T));
        h.update(d->y.data(), d->y.size() * sizeof(d->y[0]));
    }
    return h.hex();
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
                     data::BatchLoader<T>* loader, const std::function<void()>& fresh) {
    const json extra = nn::load_state<T>(ctx.folder->checkpoint_dir(), tag, params, opt);
    if (extra.is_null()) {
        ctx.metrics->drop_run(run);
        if (fresh) fresh();
        return 0;
    }
    const long epoch = resume_metrics(ctx, run, extra);
    if (loader) loader->restore(extra.at("loader").get<std::string>());
    return epoch;
}

template <class T>
void finish_epoch(RunContext& ctx, const std::string& run, const std::string& tag,
                  const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt,
                  const data::BatchLoader<T>* loader, long epoch) {
    ctx.metrics->flush();
    json extra = {{"epoch", epoch}};
    if (loader) extra["loader"] = loader->state();
    nn::save_state<T>(ctx.folder->checkpoint_dir(), tag, params, opt, checkpoint_extra(ctx, run, extra));
    record_epoch(ctx, run, epoch);
    maybe_interrupt(epoch);
}

json checkpoint_extra(const RunContext& ctx, const std::string& run, json extra) {
    extra["metrics_rows"] = ctx.metrics->count(run);
    return extra;
}

void record_epoch(RunContext& ctx, const std::string& run, long epoch) {
    json p = ctx.folder->progress();
    p["runs"][run] = {{"epoch", epoch}};
    ctx.folder->save_progress(p);
}

long resume_metrics(RunContext& ctx, const std::string& run, const json& extra) {
    const std::string ckpt = (ctx.folder->path() / "checkpoints").string();
    if (!extra.is_object() || !extra.contains("epoch") || !extra.at("epoch").is_number_unsigned())
        throw IoError(fmt::format("checkpoint of run {} under {}: no whole-number 'epoch' in its extra; delete the run "
                                  "folder to start this run over",
                                  run, ckpt));
    const long epoch = extra.at("epoch").get<long>();
    const long told = epochs_done(ctx, run);
    const std::string restart = "delete the run folder (or choose another --out) to start this run over";
    if (told > epoch)
        throw IoError(fmt::format("{}: run {} finished epoch {}, but its checkpoint under {} holds epoch {}: the "
                                  "checkpoint is older than the progress record; {}",
                                  ctx.folder->file("progress.json").string(), run, told, ckpt, epoch, restart));
    ctx.metrics->drop_after(run, epoch);
    if (extra.contains("metrics_rows")) {
        const long want = extra.at("metrics_rows").get<long>(), have = static_cast<long>(ctx.metrics->count(run));
        if (want != have)
            throw IoError(fmt::format("{}: run {} has {} rows up to epoch {}, its checkpoint was saved with {}: rows "
                                      "were lost or added; {}",
                                      ctx.metrics->path().string(), run, have, epoch, want, restart));
    }
    return epoch;
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
    template std::string data_fingerprint<T>(const data::Split<T>&);                                            \
    template long start_or_resume<T>(RunContext&, const std::string&, const std::string&,                       \
                                     const std::vector<nn::Parameter<T>*>&, nn::Optimizer<T>*,                  \
                                     data::BatchLoader<T>*, const std::function<void()>&);                      \
    template void finish_epoch<T>(RunContext&, const std::string&, const std::string&,                          \
                                  const std::vector<nn::Parameter<T>*>&, nn::Optimizer<T>*,                     \
                                  const data::BatchLoader<T>*, long);
GT_INST(float)
GT_INST(double)

}  // namespace gt::experiments
