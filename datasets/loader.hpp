// BatchLoader: mini-batches over a Dataset, shuffled per epoch, resumable.
//
//     BatchLoader<float> loader(train, 64, /*shuffle=*/true, seed);
//     for (int e = 0; e < epochs; ++e) {
//         loader.start_epoch();
//         while (loader.next(x, y)) { ... }
//     }
//
// Epoch k's order is rng.permutation(N) of an Rng seeded from (seed, k), so an order depends only on
// the seed and the epoch index: state() records (seed, epoch, position) and restore() rebuilds the
// exact order and position without replaying earlier epochs. Without shuffle the order is 0..N−1.
// The loader keeps a pointer to the dataset, which must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset.hpp"

namespace gt::data {

template <class T>
class BatchLoader {
   public:
    /// Throws ValueError for batch = 0, an invalid or empty dataset, or drop_last with batch > N.
    BatchLoader(const Dataset<T>& d, std::size_t batch, bool shuffle, std::uint64_t seed, bool drop_last = false);
    /// A temporary dataset would dangle: keep the dataset in a variable.
    BatchLoader(Dataset<T>&&, std::size_t, bool, std::uint64_t, bool = false) = delete;

    /// Batches per epoch: ceil(N / batch), or floor(N / batch) with drop_last.
    std::size_t num_batches() const;
    /// Epochs started so far (the current epoch's index is epoch() − 1).
    std::size_t epoch() const { return epoch_; }
    /// The current epoch's sample order (empty before the first start_epoch()).
    const std::vector<std::size_t>& order() const { return order_; }

    /// Begins the next epoch: draws its order (if shuffle) and rewinds to its first batch.
    void start_epoch();
    /// Fills x (B, ...), y (B labels; empty for regression sets) and, if given, target (B, k) with the
    /// next batch; returns false at the end of the epoch. Starts the first epoch if none was started.
    /// Throws ValueError when a target is requested from a set without targets.
    bool next(Tensor<T>& x, Labels& y, Tensor<T>* target = nullptr);

    /// One line "BatchLoader v1 seed=… n=… batch=… shuffle=… drop_last=… epoch=… position=…".
    std::string state() const;
    /// Resumes from state(); throws ValueError if the line is malformed or was written by a loader with
    /// a different seed, dataset size, batch size, shuffle or drop_last.
    void restore(const std::string& state);

   private:
    void draw_order(std::size_t epoch_index);  // epoch_index counts from 0

    const Dataset<T>* data_;
    std::size_t batch_;
    bool shuffle_, drop_last_;
    std::uint64_t seed_;
    std::size_t epoch_ = 0;     // epochs started
    std::size_t position_ = 0;  // batches delivered in the current epoch
    std::vector<std::size_t> order_;
};

}  // namespace gt::data
