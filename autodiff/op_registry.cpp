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
        {"linear", "x·Wᵀ + b", "∂x += g·W; ∂W += gᵀ·x (beta = 1); ∂b += Σ_rows g"},
        {"linear[no bias]", "x·Wᵀ", "∂x += g·W; ∂W += gᵀ·x"},
        // activations
        {"relu", "max(a, 0)", "∂a += g ⊙ 1[a > 0]"},
        {"gelu", "a·Φ(a) (exact erf)", "∂a += g ⊙ (Φ(a) + a·φ(a))"},
        {"sigmoid", "σ(a) = 1/(1 + e⁻ᵃ)", "∂a += g ⊙ σ(a)(1 − σ(a))"},
        {"tanh", "tanh a", "∂a += g ⊙ (1 − tanh² a)"},
        {"softplus", "log(1 + eᵃ) (a for a > 20)", "∂a += g ⊙ σ(a)"},
        // losses
        {"log_softmax", "a − logΣ_j e^{a_j} (rows)", "∂a += g − softmax(a) ⊙ Σ_j g_j"},
        {"cross_entropy", "−(1/N) Σ_i log softmax(a)_{i,y_i}", "∂a += g·(softmax(a) − onehot(y))/N"},
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
    };
    return ops;
}

std::string op_name(const std::string& key) { return key.substr(0, key.find('[')); }

}  // namespace gt
