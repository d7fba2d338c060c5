// VarList: the Vars of one forward pass (a model's layer inputs, pre-activations, hidden features).
//
// A small vector that holds up to kInline Vars in place, so a model's forward returns its output
// struct without a heap allocation per step; longer lists move to a std::vector. It offers the part of
// std::vector's interface the models' callers use (size, [], begin/end, back, push_back) and converts to
// a std::vector<Var<T>>.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "autodiff/tape.hpp"

namespace gt::nn {

template <class T>
class VarList {
   public:
    static constexpr std::size_t kInline = 16;
    using value_type = Var<T>;
    using size_type = std::size_t;
    using iterator = Var<T>*;
    using const_iterator = const Var<T>*;

    VarList() = default;
    VarList(std::initializer_list<Var<T>> vs) {
        for (const Var<T>& v : vs) push_back(v);
    }

    void push_back(const Var<T>& v) {
        if (heap_.empty() && n_ < kInline) {
            inline_[n_++] = v;
            return;
        }
        if (heap_.empty()) heap_.assign(inline_.begin(), inline_.begin() + n_);
        heap_.push_back(v);
        ++n_;
    }
    void clear() {
        heap_.clear();
        n_ = 0;
    }

    std::size_t size() const { return n_; }
    bool empty() const { return n_ == 0; }
    Var<T>* data() { return heap_.empty() ? inline_.data() : heap_.data(); }
    const Var<T>* data() const { return heap_.empty() ? inline_.data() : heap_.data(); }
    Var<T>& operator[](std::size_t i) { return data()[i]; }
    const Var<T>& operator[](std::size_t i) const { return data()[i]; }
    Var<T>& at(std::size_t i) {
        check(i);
        return data()[i];
    }
    const Var<T>& at(std::size_t i) const {
        check(i);
        return data()[i];
    }
    Var<T>& front() { return data()[0]; }
    const Var<T>& front() const { return data()[0]; }
    Var<T>& back() { return data()[n_ - 1]; }
    const Var<T>& back() const { return data()[n_ - 1]; }
    iterator begin() { return data(); }
    iterator end() { return data() + n_; }
    const_iterator begin() const { return data(); }
    const_iterator end() const { return data() + n_; }

    operator std::vector<Var<T>>() const { return std::vector<Var<T>>(begin(), end()); }

   private:
    void check(std::size_t i) const {
        if (i >= n_)
            throw ValueError("VarList::at: index " + std::to_string(i) + " out of range for " + std::to_string(n_) +
                             " entries");
    }

    std::array<Var<T>, kInline> inline_{};
    std::vector<Var<T>> heap_;  // all entries once there are more than kInline
    std::size_t n_ = 0;
};

}  // namespace gt::nn
