// One pass of a DNN over a data set without gradients that streams every hidden layer's features into
// LayerStatistics (the moments behind Target Linearity and the surrogate, never N×N) and counts correct
// predictions. Used by the figures that follow TL layer by layer over training (Figs. 4, 9, 12, 13).
#pragma once

#include <cstddef>
#include <vector>

#include "analysis/streaming.hpp"
#include "datasets/dataset.hpp"
#include "nn/dnn.hpp"

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

}  // namespace gt::experiments
