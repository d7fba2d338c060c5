#include "analysis/neural_collapse.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <xtensor-blas/xlinalg.hpp>

#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"

namespace gt::analysis {

template <class T>
NeuralCollapse neural_collapse(const Tensor<T>& h, const Labels& labels, std::size_t num_classes, const Tensor<T>& w,
                               const Tensor<T>& b) {
    const char* where = "neural_collapse";
    require_matrix(h, where, "the features H (N × d)");
    require_matrix(w, where, "the classifier W (C × d)");
    const std::size_t n = h.shape()[0], d = h.shape()[1], C = num_classes;
    if (C < 2) throw ValueError(std::string(where) + ": expected at least 2 classes, got " + std::to_string(C));
    if (labels.size() != n)
        throw ShapeError(std::string(where) + ": expected one label per row of H (" + std::to_string(n) + "), got " +
                         std::to_string(labels.size()));
    if (w.shape()[0] != C || w.shape()[1] != d)
        throw ShapeError(std::string(where) + ": expected the classifier of shape " + shape_str({C, d}) + ", got " +
                         shape_str(shape_of(w)));
    const bool has_bias = b.dimension() != 0;  // a default-constructed (0-d) tensor means no bias
    if (has_bias && (b.dimension() != 1 || b.size() != C))
        throw ShapeError(std::string(where) + ": expected a bias of shape " + shape_str({C}) + " or none, got " +
                         shape_str(shape_of(b)));

    // Class means μ_c and the global mean μ_G, in double.
    xt::xarray<double> mu = xt::zeros<double>({C, d});
    xt::xarray<double> mu_g = xt::zeros<double>({d});
    std::vector<std::size_t> count(C, 0);
    for (std::size_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || std::size_t(labels[i]) >= C)
            throw ValueError(std::string(where) + ": expected labels in [0, " + std::to_string(C) + "), got " +
                             std::to_string(labels[i]) + " at sample " + std::to_string(i));
        const std::size_t c = std::size_t(labels[i]);
        ++count[c];
        for (std::size_t j = 0; j < d; ++j) mu(c, j) += double(h(i, j));
    }
    for (std::size_t c = 0; c < C; ++c) {
        if (count[c] == 0)
            throw ValueError(std::string(where) + ": expected every class to have samples, class " + std::to_string(c) +
                             " has none");
        for (std::size_t j = 0; j < d; ++j) mu(c, j) /= double(count[c]);
    }
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) mu_g(j) += double(h(i, j)) / double(n);

    Tensor<double> m = Tensor<double>::from_shape({C, d});  // centred class means, one per row
    for (std::size_t c = 0; c < C; ++c)
        for (std::size_t j = 0; j < d; ++j) m(c, j) = mu(c, j) - mu_g(j);
    Tensor<double> within = Tensor<double>::from_shape({n, d});
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < d; ++j) within(i, j) = double(h(i, j)) - mu(std::size_t(labels[i]), j);

    NeuralCollapse r;
    // NC1 = tr(Σ_W Σ_B⁺)/C = (1/C) Σ_k v_kᵀ Σ_W v_k / λ_k over the retained eigenpairs of Σ_B.
    {
        Tensor<double> sigma_b = matmul_plain<double>(m, m, true, false, where);
        sigma_b /= double(C);
        auto [lam, v] = xt::linalg::eigh(sigma_b);
        const double tol = lam(d - 1) * double(std::max(d, C)) * double(std::numeric_limits<T>::epsilon());
        Tensor<double> vecs = v;
        Tensor<double> wv = matmul_plain<double>(within, vecs, false, false, where);  // N × d: (h_i − μ_{y_i})ᵀ v_k
        double trace = 0.0;
        for (std::size_t k = 0; k < d; ++k) {
            if (!(lam(k) > tol)) continue;
            double q = 0.0;
            for (std::size_t i = 0; i < n; ++i) q += wv(i, k) * wv(i, k);
            trace += q / double(n) / lam(k);
        }
        r.nc1 = trace / double(C);
    }
    // NC2: norms and angles of the centred class means.
    {
        std::vector<double> norm(C);
        double mean = 0.0;
        for (std::size_t c = 0; c < C; ++c) {
            double s = 0.0;
            for (std::size_t j = 0; j < d; ++j) s += m(c, j) * m(c, j);
            norm[c] = std::sqrt(s);
            mean += norm[c] / double(C);
        }
        double var = 0.0;
        for (std::size_t c = 0; c < C; ++c) var += (norm[c] - mean) * (norm[c] - mean) / double(C - 1);
        r.nc2_equinorm = mean > 0 ? std::sqrt(var) / mean : 0.0;
        const Tensor<double> cosines = matmul_plain<double>(m, m, false, true, where);  // C × C
        double sum = 0.0;
        for (std::size_t a = 0; a < C; ++a)
            for (std::size_t c = 0; c < C; ++c)
                if (a != c) sum += std::abs(cosines(a, c) / (norm[a] * norm[c]) + 1.0 / double(C - 1));
        r.nc2_equiangular = sum / double(C * (C - 1));
    }
    // NC3: self-duality of classifier and class means.
    {
        const double nw = frobenius(w), nm = frobenius(m);
        double s = 0.0;
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t j = 0; j < d; ++j) {
                const double e = double(w(c, j)) / nw - m(c, j) / nm;
                s += e * e;
            }
        r.nc3 = std::sqrt(s);
    }
    // NC4: nearest class centre vs the classifier's arg-max.
    {
        const Tensor<T> logits = matmul_plain<T>(h, w, false, true, where);  // N × C
        std::size_t disagree = 0;
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t best_ncc = 0, best_cls = 0;
            double best_dist = std::numeric_limits<double>::infinity(), best_logit = -best_dist;
            for (std::size_t c = 0; c < C; ++c) {
                double dist = 0.0;
                for (std::size_t j = 0; j < d; ++j) dist += (double(h(i, j)) - mu(c, j)) * (double(h(i, j)) - mu(c, j));
                if (dist < best_dist) best_dist = dist, best_ncc = c;
                const double z = double(logits(i, c)) + (has_bias ? double(b(c)) : 0.0);
                if (z > best_logit) best_logit = z, best_cls = c;
            }
            disagree += best_ncc != best_cls;
        }
        r.nc4 = double(disagree) / double(n);
    }
    return r;
}

template NeuralCollapse neural_collapse<float>(const Tensor<float>&, const Labels&, std::size_t, const Tensor<float>&,
                                               const Tensor<float>&);
template NeuralCollapse neural_collapse<double>(const Tensor<double>&, const Labels&, std::size_t,
                                                const Tensor<double>&, const Tensor<double>&);

}  // namespace gt::analysis
