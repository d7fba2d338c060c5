// One pass of a DNN over a data set without gradients that streams every hidden layer's features into
// LayerStatistics (the moments behind Target Linearity and the surrogate, never N×N) and counts correct
// predictions. Used by the figures that follow TL layer by layer over training (Figs. 4, 9, 12, 13),
// with the epoch loop, the recording and the metric arrays those figures share.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "analysis/streaming.hpp"
#include "datasets/dataset.hpp"
#include "datasets/loader.hpp"
#include "experiments/guarded_metrics.hpp"
#include "experiments/metrics.hpp"
#include "experiments/progress.hpp"
#include "nn/dnn.hpp"
#include "nn/optimizer.hpp"

namespace gt::experiments {

struct HiddenLayerPass {
    std::vector<analysis::LayerStatistics<double>> stats;  // one per hidden layer, named "layer 1", ...
    double accuracy = 0;                                   // w.r.t. `labels`
};

/// Streams the hidden features of `model` on `d` (in batches of `batch` samples) against the centred
/// one-hot of `labels` (d.y, or corrupted labels of the same length). The moments are accumulated in
/// double whatever T is: in float, HᵀH of nearly collinear deep features over 60,000 samples loses
/// positive definiteness.
template <class T>
HiddenLayerPass hidden_layer_pass(nn::DNN<T>& model, const data::Dataset<T>& d, const Labels& labels,
                                  std::size_t batch = 1000);

struct RunContext;

/// Called per hidden layer l (0-based) after its TL is recorded, with its statistics and site.
using LayerHook = std::function<void(std::size_t l, const analysis::LayerStatistics<double>& stats, const MetricSite& at)>;

/// Adds at `site` (its run, epoch and step) the TL of every hidden layer on `train` against train.y
/// (metric "tl" per layer, then `per_layer`; a failure names the site and layer), "train_acc" w.r.t.
/// train.y and "test_acc" on `test`; the pass reads `batch` samples at a time.
template <class T>
void record_tl_accuracy(RunContext& ctx, nn::DNN<T>& model, const data::Dataset<T>& train, const data::Dataset<T>& test,
                        const MetricSite& site, std::size_t batch = 1000, const LayerHook& per_layer = {});

/// The progress line of training `runs` for config "epochs" each, counting the epochs already done.
Progress runs_progress(const RunContext& ctx, const std::string& label, const std::vector<std::string>& runs,
                       long steps_per_epoch);

/// The epoch loop of one run (state tag = run name, config "epochs"): a fresh run records epoch 0 and
/// flushes; each epoch trains, adds "train_loss", calls record(epoch, step) and checkpoints every
/// `every` epochs and after the last (the epochs between are cheap to redo after an interruption).
template <class T>
void train_tl_run(RunContext& ctx, const std::string& run, nn::DNN<T>& model, nn::Optimizer<T>& opt,
                  data::BatchLoader<T>& loader, Progress& prog, const std::function<void(long epoch, long step)>& record,
                  long every = 1);

/// "MLP 784→256×3→10, GELU, bias; <optimizer>, batch 64, 1 epochs, seed 0, 1000 training samples" from
/// config "width", "num_hidden", "batch_size", "epochs" and "seeds".
template <class T>
std::string gelu_mlp_setup(const RunContext& ctx, const data::Dataset<T>& train, const std::string& optimizer);

/// The per-layer TL [runs × ne × layers] (layers "1", "2", ...) and train/test accuracy [runs × ne × 2]
/// of epochs 0 … ne − 1, also written as tl.npy and accuracy.npy.
struct TlCurves {
    Tensor<double> tl, acc;
    std::size_t ne;
};
TlCurves tl_curves(RunContext& ctx, const std::vector<std::string>& runs, std::size_t layers, std::size_t ne);

/// [runs × ne × layers] of the per-layer metric `metric` (layers "1", "2", ...), epochs 0 … ne − 1.
Tensor<double> layer_series(const MetricsLog& log, const std::vector<std::string>& runs, const std::string& metric,
                            std::size_t layers, std::size_t ne);
/// [runs × ne × 2]: train_acc, test_acc.
Tensor<double> accuracy_series(const MetricsLog& log, const std::vector<std::string>& runs, std::size_t ne);

}  // namespace gt::experiments
