// Shared pieces of the figure drivers: loading a configured dataset, evaluating accuracy, saving and
// restoring a resumable training state (parameters, optimizer buffers, counters), and the epoch loop
// bookkeeping every classification figure uses.
#pragma once

#include <cmath>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "autodiff/autodiff.hpp"
#include "datasets/dataset.hpp"
#include "datasets/loader.hpp"
#include "nn/state.hpp"
#include "experiments/progress.hpp"
#include "nn/cnn.hpp"
#include "nn/dnn.hpp"
#include "nn/evaluate.hpp"
#include "nn/training_loop.hpp"
#include "nn/optimizer.hpp"

namespace gt::experiments {

struct RunContext;

/// Train/test split of ctx's dataset; config key "train_subset" (0 = all) keeps a seeded subset of the
/// training set (seed `subset_seed`, the same for every run of a figure).
/// The split is checked against the data fingerprint recorded in the run folder (and recorded there
/// when the run begins): a resumed run never trains on other data than it began with.
template <class T>
data::Split<T> load_split(const RunContext& ctx);
/// SHA-256 over the train and test samples and labels as loaded (file format independent).
template <class T>
std::string data_fingerprint(const data::Split<T>& s);

/// Accuracy on a dataset through nn::accuracy: an MLP reads flattened samples in batches of 1000, a CNN
/// images in batches of 500.
template <class T>
double accuracy(nn::DNN<T>& model, const data::Dataset<T>& d) {
    return nn::accuracy(model, d.x, d.y, {numel(d.sample_shape())}, 1000);
}
template <class T>
double accuracy(nn::CNN<T>& model, const data::Dataset<T>& d) {
    return nn::accuracy(model, d.x, d.y, d.sample_shape(), 500);
}

/// Test hook for resume tests: when the environment variable GT_INTERRUPT_AFTER_EPOCH equals `epoch`,
/// throws as if the process had been stopped right after that epoch's checkpoint.
void maybe_interrupt(long epoch);

/// Epochs `run` has finished according to the run folder's progress.json (for resumed progress bars).
long epochs_done(const RunContext& ctx, const std::string& run);

/// `extra` of a checkpoint of `run`, with the number of metrics rows `run` has now (metrics just
/// flushed), so a resume can tell a metrics.csv that lost rows.
nlohmann::json checkpoint_extra(const RunContext& ctx, const std::string& run, nlohmann::json extra);
/// Records in progress.json that `run` finished `epoch`.
void record_epoch(RunContext& ctx, const std::string& run, long epoch);
/// Resuming `run` from a checkpoint whose `extra` holds its epoch: checks progress.json and metrics.csv
/// against it (progress no further than the checkpoint, the run's metrics rows up to that epoch as many
/// as when it was saved), drops the run's rows after it and returns the epoch. IoError naming the files
/// and what differs otherwise.
long resume_metrics(RunContext& ctx, const std::string& run, const nlohmann::json& extra);

/// Starts or resumes `run` of a figure. With a saved state `tag`: restores `params` (any tensors kept
/// as nn::Parameter: weights, an initial copy, an accumulated sum), the optimizer and the loader
/// position (each may be null) and drops the run's metrics after that epoch. Without: clears the run's
/// metrics and calls `fresh` (which records the epoch-0 metrics; may be empty). Returns the last
/// finished epoch.
template <class T>
long start_or_resume(RunContext& ctx, const std::string& run, const std::string& tag,
                     const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt,
                     data::BatchLoader<T>* loader, const std::function<void()>& fresh);

/// After epoch `epoch` of `run`: flushes the metrics, saves the state `tag` (as start_or_resume restores
/// it), records the epoch in progress.json and runs the interrupt test hook.
template <class T>
void finish_epoch(RunContext& ctx, const std::string& run, const std::string& tag,
                  const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt,
                  const data::BatchLoader<T>* loader, long epoch);

/// One epoch of mini-batch cross-entropy training of any model whose forward returns `.logits`, through
/// nn::train_epoch; ticks `prog` and runs `after_step` after each step. Returns the mean loss.
template <class T, class Model>
double train_classifier_epoch(Model& model, nn::Optimizer<T>& opt, data::BatchLoader<T>& loader, Tape<T>& tape,
                              const nn::StepPlace& place, long& step, Progress& prog,
                              const std::function<void()>& after_step = {}) {
    nn::StepHooks<T> hooks;
    hooks.after_step = [&](long s, double loss) {
        if (after_step) after_step();
        prog.tick(place.epoch, s, loss);
    };
    return nn::train_epoch(loader, tape, opt, nn::classifier_loss(model), place, step, hooks);
}

/// The label of a run's steps in messages: "fig2 run seed0/orig".
inline std::string step_label(const std::string& figure, const std::string& run) { return figure + " run " + run; }

/// "0.9821 ± 0.0012" (mean ± std over runs).
std::string mean_pm(const std::vector<double>& v, int digits = 4);
double mean_of(const std::vector<double>& v);
double std_of(const std::vector<double>& v);

}  // namespace gt::experiments
