#include "autodiff/op_registry.hpp"

namespace gt {

const std::vector<OpInfo>& op_registry() {
    static const std::vector<OpInfo> ops = {
        // element-wise (numpy broadcasting; every gradient is summed back to its input's shape)
        {"add", "a + b", "∂a += g; ∂b += g"},
        {"add[broadcast]", "(3,4) + (4,)", "∂b += Σ_rows g"},
        {"sub", "a − b", "∂a += g; ∂b −= g"},
        {"mul", "a ⊙ b", "∂a += g ⊙ b; ∂b += g ⊙ a"},
        {"mul[broadcast]", "(3,1) ⊙ (1,4)", "∂a += Σ_cols g ⊙ b; ∂b += Σ_rows g ⊙ a"},
        {"div", "a / b", "∂a += g / b; ∂b −= g ⊙ a / b²"},
        {"div[broadcast]", "(2,3,4) / (3,1)", "reduced over the leading and size-1 axes"},
        {"neg", "−a", "∂a −= g"},
        {"add_scalar", "a + s", "∂a += g"},
        {"mul_scalar", "s·a", "∂a += s·g"},
        {"rsub_scalar", "s − a", "∂a −= g"},
        {"pow_scalar", "aᵖ", "∂a += g·p·aᵖ⁻¹"},
        {"exp", "eᵃ", "∂a += g ⊙ eᵃ"},
        {"log", "log a", "∂a += g / a"},
        {"sqrt", "√a", "∂a += g / (2√a)"},
        {"abs", "|a|", "∂a += g ⊙ sign(a)"},
        // reductions
        {"sum", "Σ a (0-d)", "∂a += g (broadcast)"},
        {"sum[axis]", "Σ_axis a (keepdims or not)", "∂a += g broadcast along axis"},
        {"mean", "Σ a / n (0-d)", "∂a += g / n"},
        {"mean[axis]", "Σ_axis a / n_axis", "∂a += g / n_axis broadcast along axis"},
        // shape
        {"reshape", "same data, new shape", "∂a += reshape(g, shape(a))"},
        {"transpose", "aᵀ (2-D)", "∂a += gᵀ"},
        {"permute", "axes permuted by π", "∂a += g permuted by π⁻¹"},
        {"slice", "a[.., start:start+len, ..] along axis", "∂a[.., start:start+len, ..] += g"},
        {"concat", "[a₁, a₂, …] along axis", "∂aₖ += the k-th block of g"},
        // linear algebra
        {"matmul", "A·B (2-D)", "∂A += g·Bᵀ; ∂B += Aᵀ·g"},
        {"matmul[batched]", "A_b·B_b (3-D)", "∂A_b += g_b·B_bᵀ; ∂B_b += A_bᵀ·g_b"},
        {"matmul[transpose]", "op(A)·op(B), op = identity or ᵀ by the flags (2-D; read in place)",
         "∂A += g·op(B)ᵀ, or op(B)·gᵀ for Aᵀ; ∂B += op(A)ᵀ·g, or gᵀ·op(A) for Bᵀ"},
        {"matmul[batched, transpose]", "op(A_b)·op(B_b) (3-D)", "as matmul[transpose] for each b"},
        {"linear", "x·Wᵀ + b", "∂x += g·W; ∂W += gᵀ·x (beta = 1); ∂b += Σ_rows g"},
        {"linear[no bias]", "x·Wᵀ", "∂x += g·W; ∂W += gᵀ·x"},
        {"linear[3-D]", "x (..., in) read as N×in rows: x·Wᵀ + b → (..., out)", "as linear on the N rows"},
        // activations
        {"relu", "max(a, 0)", "∂a += g ⊙ 1[a > 0]"},
        {"gelu", "a·Φ(a) (exact erf)", "∂a += g ⊙ (Φ(a) + a·φ(a))"},
        {"sigmoid", "σ(a) = 1/(1 + e⁻ᵃ)", "∂a += g ⊙ σ(a)(1 − σ(a))"},
        {"tanh", "tanh a", "∂a += g ⊙ (1 − tanh² a)"},
        {"softplus", "log(1 + eᵃ) (a for a > 20)", "∂a += g ⊙ σ(a)"},
        // losses
        {"log_softmax", "a − logΣ_j e^{a_j} (rows)", "∂a += g − softmax(a) ⊙ Σ_j g_j"},
        {"cross_entropy", "−(1/N) Σ_i log softmax(a)_{i,y_i}", "∂a += g·(softmax(a) − onehot(y))/N"},
        {"cross_entropy[ignore_index]", "−(1/K) Σ_{i: y_i ≠ ignore} log softmax(a)_{i,y_i}, K kept rows (NaN for K = 0)",
         "∂a_i += g·(softmax(a_i) − onehot(y_i))/K on kept rows; ignored rows get 0"},
        {"mse", "(1/n) Σ (p − t)²", "∂p += 2g(p − t)/n; ∂t −= 2g(p − t)/n"},
        {"binary_cross_entropy[sum]", "−Σ [t log p + (1−t) log(1−p)]", "∂p += g(p − t)/(p(1 − p)); ∂t += g·log((1−p)/p)"},
        {"binary_cross_entropy[mean]", "the sum above / n", "the sum's gradients / n"},
        // convolution (NCHW)
        {"unfold", "U(x): (B,C,H,W) → (B, C·kh·kw, H'·W') (nn.Unfold)", "∂x += Uᵀ(g) (col2im: patch entries summed onto pixels)"},
        {"conv2d", "y_b = W̃·U(x_b) + b, W̃ = W as (Cout, C·kh·kw)", "∂W̃ += Σ_b g_b·U(x_b)ᵀ (beta = 1); ∂x_b += Uᵀ(W̃ᵀ·g_b); ∂b += Σ_{b,l} g"},
        {"conv2d[stride, padding]", "as conv2d with stride s and zero padding p", "as conv2d"},
        {"conv2d[no bias]", "y_b = W̃·U(x_b)", "as conv2d without ∂b"},
        {"max_pool2d", "max over each k×k window (stride s)", "∂x[argmax] += g (first maximum on ties)"},
        // lookup
        {"embedding", "rows W[idx_i]", "∂W[idx_i] += g_i (scatter-add)"},
        // transformer ops
        {"softmax", "e^{a_j − m} / Σ_k e^{a_k − m}, m = max_k a_k (last axis)", "∂a += y ⊙ (g − Σ_j g_j y_j)"},
        {"multi_head_attention", "O_bh = softmax(Q_bh K_bhᵀ/√d) V_bh for each head's column block",
         "dP = dO·Vᵀ; ∂V += Pᵀ·dO; dS = P ⊙ (dP − rowsum(dP ⊙ P)); ∂Q += dS·K/√d; ∂K += dSᵀ·Q/√d"},
        {"multi_head_attention[key padding]", "as above, −∞ added to the scores of padded keys (weight exactly 0)",
         "as above; a padded key gets ∂K = ∂V = 0"},
        {"layer_norm", "x̂ ⊙ γ + β, x̂ = (x − μ)·rstd, rstd = 1/√(σ² + eps) (last axis, biased σ²)",
         "ĝ = g ⊙ γ: ∂x += rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)); ∂γ += Σ_rows g ⊙ x̂; ∂β += Σ_rows g"},
        {"layer_norm[no affine]", "x̂ (γ or β or both left out)", "as layer_norm with γ = 1 and no ∂γ, ∂β"},
        {"dropout", "a ⊙ m/(1 − p), m_i = 1[u_i ≥ p] (the identity when not training or p = 0)",
         "∂a += g ⊙ m/(1 − p)"},
    };
    return ops;
}

std::string op_name(const std::string& key) { return key.substr(0, key.find('[')); }

}  // namespace gt
