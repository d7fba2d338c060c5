// Synthetic datasets of the paper (the Swiss roll of Figure 1, the staircase of Figure 8 and App. B.4,
// modular addition of Figures 13-14), all seeded through gt::Rng.
// Sizes are checked: a bad n or modulus throws ValueError saying what was expected and what was found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "datasets/dataset.hpp"

namespace gt::data {

constexpr std::size_t kMaxSyntheticSamples = 10'000'000;
constexpr int kMaxModulus = 256;  // p² samples of 2p features: 33.5 M values at p = 256

/// The Swiss roll before scaling: t = 1.5π(1 + 2u) for n uniforms u, then height = 21u' for n more;
/// x = t cos t, z = t sin t (sklearn's make_swiss_roll draw order, noise 0).
struct SwissRollPoints {
    std::vector<double> t, height, x, z;
};
SwissRollPoints swissroll_points(std::size_t n, std::uint64_t seed);

/// Figure 1's data: features (n, 2) = (x, z) with each column min–max scaled to [0, 1]; target (n, 1) =
/// t min–max scaled to [0, 1]. A regression set (no labels). Requires 2 <= n <= kMaxSyntheticSamples.
template <class T>
Dataset<T> make_swissroll(std::size_t n, std::uint64_t seed);

/// Figure 8's data: x (n, 10) of standard normals drawn row by row; target (n, 1) with
/// y = x1x2x3x4 + x1x2x3 + x1x2 + x1 (x1 = column 0). Requires 1 <= n <= kMaxSyntheticSamples.
template <class T>
Dataset<T> make_staircase(std::size_t n, std::uint64_t seed);

/// Modular addition, all p² pairs: sample a·p + b has features one_hot(a) ‖ one_hot(b) (2p values)
/// and label (a + b) mod p; p classes. Requires 2 <= p <= kMaxModulus.
template <class T>
Dataset<T> make_modadd(int p);

/// The paper's unused quadratic generator (src/data.py::get_quadratic), briefly: C ~ N(latent_dim × d),
/// Z ~ N(n × latent_dim), X = Z C + noise · N(n × d), rows scaled to unit L2 norm; A = sym(B) − tr(sym(B))/d · I
/// for B ~ N(d × d); s_i = x_iᵀ A x_i. With num_classes > 0, labels are quantile bins of s (class =
/// ⌊rank · C / n⌋); with num_classes = 0, target (n, 1) = relu(s).
struct QuadraticOptions {
    std::size_t n = 1000, d = 20, latent_dim = 10;
    double noise = 0.1;
    std::size_t num_classes = 0;
};
template <class T>
Dataset<T> make_quadratic(const QuadraticOptions& opts, std::uint64_t seed);

}  // namespace gt::data
