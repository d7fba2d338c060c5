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
#include "experiments/checkpoint_state.hpp"
#include "experiments/guarded_metrics.hpp"
#include "experiments/progress.hpp"
#include "nn/dnn.hpp"
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

/// Accuracy of a DNN on a dataset (no gradients recorded), batches of 1000.
template <class T>
double accuracy(nn::DNN<T>& model, const data::Dataset<T>& d);

/// Mean cross-entropy and accuracy of a DNN on a dataset.
template <class T>
std::pair<double, double> loss_and_accuracy(nn::DNN<T>& model, const data::Dataset<T>& d);

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

/// Starts or resumes `run` of a classification figure. With a saved state `tag`: restores parameters,
/// optimizer and loader position and drops the run's metrics after that epoch. Without: clears the
/// run's metrics and calls `fresh` (which records the epoch-0 metrics). Returns the last finished epoch.
template <class T>
long start_or_resume(RunContext& ctx, const std::string& run, const std::string& tag,
                     const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt,
                     data::BatchLoader<T>& loader, const std::function<void()>& fresh);

/// After epoch `epoch` of `run`: flushes the metrics, saves the state `tag` (parameters, optimizer,
/// loader position), records the epoch in progress.json and runs the interrupt test hook.
template <class T>
void finish_epoch(RunContext& ctx, const std::string& run, const std::string& tag,
                  const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt,
                  const data::BatchLoader<T>& loader, long epoch);

/// One epoch of mini-batch cross-entropy training of any model whose forward returns `.logits`;
/// returns the mean loss. `step` counts optimizer steps across epochs; a non-finite loss throws with
/// `site` (its epoch and step filled in) and the non-finite parameters; `after_step` runs after each step.
template <class T, class Model>
double train_classifier_epoch(Model& model, nn::Optimizer<T>& opt, data::BatchLoader<T>& loader, Tape<T>& tape,
                              MetricSite site, long& step, Progress& prog,
                              const std::function<void()>& after_step = {}) {
    Tensor<T> x;
    Labels y;
    double loss_sum = 0;
    long batches = 0;
    loader.start_epoch();
    while (loader.next(x, y)) {
        tape.reset();
        opt.zero_grad();
        Var<T> loss = cross_entropy(model.forward(tape, tape.input(x)).logits, y);
        tape.backward(loss);
        opt.step();
        const double l = loss.item();
        ++step;
        if (!std::isfinite(l)) {
            site.step = step;
            check_loss<T>(site, l, opt.parameters());
        }
        if (after_step) after_step();
        loss_sum += l;
        ++batches;
        prog.tick(site.epoch, step, l);
    }
    return batches ? loss_sum / batches : 0.0;
}

/// "0.9821 ± 0.0012" (mean ± std over runs).
std::string mean_pm(const std::vector<double>& v, int digits = 4);
double mean_of(const std::vector<double>& v);
double std_of(const std::vector<double>& v);

}  // namespace gt::experiments
