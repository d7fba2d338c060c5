// The one source of randomness: an explicitly seeded engine with our own transforms, so that the same
// seed gives the same numbers with any standard library (std::*_distribution algorithms are unspecified).
#pragma once

#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace gt {

class Rng {
   public:
    explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}

    std::uint64_t bits() { return engine_(); }
    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Uniform integer in [0, n), unbiased (rejection sampling).
    std::uint64_t below(std::uint64_t n) {
        if (n == 0) return 0;
        const std::uint64_t limit = ~std::uint64_t(0) - (~std::uint64_t(0) % n);
        std::uint64_t r;
        do r = engine_(); while (r >= limit);
        return r % n;
    }
    /// Standard normal by the Box–Muller transform (pairs are cached).
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u1;
        do u1 = uniform(); while (u1 <= 0.0);
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        const double a = 6.283185307179586476925 * u2;
        spare_ = r * std::sin(a);
        has_spare_ = true;
        return r * std::cos(a);
    }
    double normal(double mean, double std) { return mean + std * normal(); }
    /// A uniformly random permutation of 0..n−1 (Fisher–Yates).
    std::vector<std::size_t> permutation(std::size_t n) {
        std::vector<std::size_t> p(n);
        std::iota(p.begin(), p.end(), std::size_t(0));
        for (std::size_t i = n; i > 1; --i) std::swap(p[i - 1], p[below(i)]);
        return p;
    }

   private:
    std::mt19937_64 engine_;
    double spare_ = 0.0;
    bool has_spare_ = false;
};

}  // namespace gt
