// The op registry: every differentiable op (and each distinct code path of it, written "op[variant]")
// with its forward and backward formula in one line. docs/ops.md shows this table, and the test
// suite proves that every entry has a gradient-check test.
#pragma once

#include <string>
#include <vector>

namespace gt {

struct OpInfo {
    const char* key;       // "conv2d" or "conv2d[no bias]": the op name, then the code path in brackets
    const char* forward;   // one line
    const char* backward;  // one line: what each input's gradient receives, with g = ∂L/∂out
};

/// All ops in a fixed order (the order of docs/ops.md).
const std::vector<OpInfo>& op_registry();

/// The op name of a key: "conv2d[no bias]" → "conv2d".
std::string op_name(const std::string& key);

}  // namespace gt
