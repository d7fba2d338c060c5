// Shared pieces of the figure drivers: loading a configured dataset, evaluating accuracy, saving and
// restoring a resumable training state (parameters, optimizer buffers, counters), and the epoch loop
// bookkeeping every classification figure uses.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "datasets/dataset.hpp"
#include "nn/dnn.hpp"
#include "nn/optimizer.hpp"

namespace gt::experiments {

struct RunContext;

/// Train/test split of ctx's dataset; config key "train_subset" (0 = all) keeps a seeded subset of the
/// training set (seed `subset_seed`, the same for every run of a figure).
template <class T>
data::Split<T> load_split(const RunContext& ctx);

/// Accuracy of a DNN on a dataset (no gradients recorded), batches of 1000.
template <class T>
double accuracy(nn::DNN<T>& model, const data::Dataset<T>& d);

/// Mean cross-entropy and accuracy of a DNN on a dataset.
template <class T>
std::pair<double, double> loss_and_accuracy(nn::DNN<T>& model, const data::Dataset<T>& d);

/// A training state on disk: every parameter and optimizer buffer as .npy in `dir`/<tag>/, then
/// state.json (written last, so a state without it is incomplete and ignored).
template <class T>
void save_state(const std::filesystem::path& dir, const std::string& tag, const std::vector<nn::Parameter<T>*>& params,
                nn::Optimizer<T>* opt, const nlohmann::json& extra);
/// Restores a state saved by save_state; returns its `extra`, or null json when there is none.
template <class T>
nlohmann::json load_state(const std::filesystem::path& dir, const std::string& tag,
                          const std::vector<nn::Parameter<T>*>& params, nn::Optimizer<T>* opt);

/// Test hook for resume tests: when the environment variable GT_INTERRUPT_AFTER_EPOCH equals `epoch`,
/// throws as if the process had been stopped right after that epoch's checkpoint.
void maybe_interrupt(long epoch);

/// "0.9821 ± 0.0012" (mean ± std over runs).
std::string mean_pm(const std::vector<double>& v, int digits = 4);
double mean_of(const std::vector<double>& v);
double std_of(const std::vector<double>& v);

}  // namespace gt::experiments
