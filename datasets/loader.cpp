#include "datasets/loader.hpp"

#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "autodiff/random.hpp"

namespace gt::data {

namespace {

// SplitMix64 finaliser: turns (seed, epoch) into well-spread seeds for per-epoch engines.
std::uint64_t mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Decimal digits only, no sign, within 64 bits.
bool parse_u64(const std::string& digits, std::uint64_t& value) {
    if (digits.empty() || digits.size() > 20 || digits.find_first_not_of("0123456789") != std::string::npos)
        return false;
    try {
        value = std::stoull(digits);
    } catch (const std::out_of_range&) {
        return false;
    }
    return true;
}

}  // namespace

template <class T>
BatchLoader<T>::BatchLoader(const Dataset<T>& d, std::size_t batch, bool shuffle, std::uint64_t seed, bool drop_last)
    : data_(&d), batch_(batch), shuffle_(shuffle), drop_last_(drop_last), seed_(seed) {
    validate(d);
    const std::string where = "BatchLoader over '" + d.name + "'";
    if (batch == 0) throw ValueError(where + ": expected a batch size >= 1, found 0");
    if (d.size() == 0) throw ValueError(where + ": expected a non-empty dataset, found 0 samples");
    if (drop_last && batch > d.size())
        throw ValueError(where + ": expected batch size <= " + std::to_string(d.size()) +
                         " samples with drop_last (else an epoch has no batch), found " + std::to_string(batch));
}

template <class T>
std::size_t BatchLoader<T>::num_batches() const {
    const std::size_t n = data_->size();
    return drop_last_ ? n / batch_ : (n + batch_ - 1) / batch_;
}

template <class T>
void BatchLoader<T>::draw_order(std::size_t epoch_index) {
    if (shuffle_) {
        Rng rng(mix(seed_ + 0x9E3779B97F4A7C15ull * (epoch_index + 1)));
        order_ = rng.permutation(data_->size());
    } else {
        order_.resize(data_->size());
        std::iota(order_.begin(), order_.end(), std::size_t(0));
    }
}

template <class T>
void BatchLoader<T>::start_epoch() {
    draw_order(epoch_);
    ++epoch_;
    position_ = 0;
}

template <class T>
bool BatchLoader<T>::next(Tensor<T>& x, Labels& y, Tensor<T>* target) {
    if (epoch_ == 0) start_epoch();
    if (position_ >= num_batches()) return false;
    if (target && !data_->has_target())
        throw ValueError("BatchLoader over '" + data_->name +
                         "': expected a dataset with regression targets, found a classification set");
    const std::size_t first = position_ * batch_;
    const std::size_t k = std::min(batch_, data_->size() - first);
    const std::size_t* index = order_.data() + first;
    gather_rows(data_->x, index, k, x);
    y.clear();
    if (!data_->y.empty())
        for (std::size_t i = 0; i < k; ++i) y.push_back(data_->y[index[i]]);
    if (target) gather_rows(data_->target, index, k, *target);
    ++position_;
    return true;
}

template <class T>
std::string BatchLoader<T>::state() const {
    std::ostringstream s;
    s << "BatchLoader v1 seed=" << seed_ << " n=" << data_->size() << " batch=" << batch_ << " shuffle=" << shuffle_
      << " drop_last=" << drop_last_ << " epoch=" << epoch_ << " position=" << position_;
    return s.str();
}

template <class T>
void BatchLoader<T>::restore(const std::string& state) {
    const std::string where = "BatchLoader::restore over '" + data_->name + "'";
    std::istringstream in(state);
    std::string word, version;
    in >> word >> version;
    if (word != "BatchLoader" || version != "v1")
        throw ValueError(where + ": expected a state starting 'BatchLoader v1', found '" + state + "'");
    std::map<std::string, std::uint64_t> field;
    while (in >> word) {
        const auto eq = word.find('=');
        const std::string digits = eq == std::string::npos ? "" : word.substr(eq + 1);
        std::uint64_t value = 0;
        if (!parse_u64(digits, value))
            throw ValueError(where + ": expected key=number (unsigned 64-bit), found '" + word + "' in '" + state + "'");
        field[word.substr(0, eq)] = value;
    }
    const std::pair<const char*, std::uint64_t> mine[] = {
        {"seed", seed_}, {"n", data_->size()}, {"batch", batch_}, {"shuffle", shuffle_}, {"drop_last", drop_last_}};
    for (const auto& [key, expected] : mine) {
        const auto it = field.find(key);
        if (it == field.end())
            throw ValueError(where + ": expected a field '" + key + "', found none in '" + state + "'");
        if (it->second != expected)
            throw ValueError(where + ": expected " + key + "=" + std::to_string(expected) + " (this loader), found " +
                             key + "=" + std::to_string(it->second));
    }
    for (const char* key : {"epoch", "position"})
        if (!field.count(key))
            throw ValueError(where + ": expected a field '" + key + "', found none in '" + state + "'");
    if (field["position"] > num_batches() || (field["epoch"] == 0 && field["position"] != 0))
        throw ValueError(where + ": expected position <= " + std::to_string(num_batches()) +
                         " batches (0 before the first epoch), found position=" + std::to_string(field["position"]) +
                         " at epoch=" + std::to_string(field["epoch"]));
    epoch_ = field["epoch"];
    position_ = field["position"];
    order_.clear();
    if (epoch_ > 0) draw_order(epoch_ - 1);
}

template class BatchLoader<float>;
template class BatchLoader<double>;

}  // namespace gt::data
