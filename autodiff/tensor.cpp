#include "autodiff/tensor.hpp"

namespace gt {

std::string shape_str(const Shape& s) {
    std::string r = "(";
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) r += ", ";
        r += std::to_string(s[i]);
    }
    if (s.size() == 1) r += ",";
    return r + ")";
}

std::size_t numel(const Shape& s) {
    std::size_t n = 1;
    for (auto d : s) n *= d;
    return n;
}

void check_shape(bool cond, const char* op, const std::string& expected, const Shape& got) {
    if (!cond) throw ShapeError(std::string(op) + ": expected " + expected + ", got " + shape_str(got));
}

}  // namespace gt
