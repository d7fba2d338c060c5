#include "platform/npy.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include <xtensor/xmanipulation.hpp>

namespace gt {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicLen = 6;

// A cursor over the header dict with the error context of one file.
class HeaderParser {
   public:
    HeaderParser(const std::string& text, const std::string& source) : s_(text), source_(source) {}

    [[noreturn]] void fail(const std::string& expected) const {
        std::string excerpt = s_.substr(pos_, 20);
        while (!excerpt.empty() && (excerpt.back() == ' ' || excerpt.back() == '\n')) excerpt.pop_back();
        const std::string found = excerpt.empty() ? "the end of the header" : "'" + printable(excerpt) + "'";
        throw IoError(source_ + ": malformed .npy header: expected " + expected + " at header offset " +
                      std::to_string(pos_) + ", found " + found);
    }
    void skip_space() {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
    }
    bool eat(char c) {
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    void expect(char c) {
        if (!eat(c)) fail(std::string("'") + c + "'");
    }
    std::string string_literal() {
        skip_space();
        if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("a quoted string");
        const char q = s_[pos_++];
        const std::size_t end = s_.find(q, pos_);
        if (end == std::string::npos) fail("a closing quote");
        std::string v = s_.substr(pos_, end - pos_);
        pos_ = end + 1;
        return v;
    }
    bool boolean() {
        skip_space();
        if (s_.compare(pos_, 4, "True") == 0) {
            pos_ += 4;
            return true;
        }
        if (s_.compare(pos_, 5, "False") == 0) {
            pos_ += 5;
            return false;
        }
        fail("True or False");
    }
    std::size_t dimension() {
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '9') fail("a non-negative integer dimension");
        std::size_t v = 0;
        while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
            const std::size_t digit = static_cast<std::size_t>(s_[pos_] - '0');
            if (v > (std::numeric_limits<std::size_t>::max() - digit) / 10) fail("a dimension that fits in 64 bits");
            v = v * 10 + digit;
            ++pos_;
        }
        if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 long suffix
        return v;
    }
    Shape tuple() {
        expect('(');
        Shape shape;
        if (eat(')')) return shape;
        while (true) {
            shape.push_back(dimension());
            if (eat(')')) break;
            expect(',');
            if (eat(')')) break;
            if (shape.size() > 64) fail("at most 64 dimensions");
        }
        return shape;
    }
    bool at_end() {
        skip_space();
        return pos_ == s_.size();
    }

    static std::string printable(const std::string& raw) {
        std::string out;
        for (char c : raw) {
            const auto u = static_cast<unsigned char>(c);
            if (u >= 0x20 && u < 0x7f) {
                out += c;
            } else {
                static const char* hex = "0123456789abcdef";
                out += "\\x";
                out += hex[u >> 4];
                out += hex[u & 15];
            }
        }
        return out;
    }

   private:
    const std::string& s_;
    const std::string& source_;
    std::size_t pos_ = 0;
};

std::string dtype_name(const std::string& descr) {
    if (descr == "<f4") return "float32";
    if (descr == "<f8") return "float64";
    if (descr == "<i8") return "int64";
    if (descr == "<i4") return "int32";
    if (descr == "|u1") return "uint8";
    if (descr == "|b1") return "bool";
    if (descr == "<f2") return "float16";
    return "";
}

template <class T>
constexpr const char* type_name() {
    if (std::is_same<T, float>::value) return "float32";
    if (std::is_same<T, double>::value) return "float64";
    return "int64";
}

}  // namespace

template <>
const char* npy_descr<float>() {
    return "<f4";
}
template <>
const char* npy_descr<double>() {
    return "<f8";
}
template <>
const char* npy_descr<std::int64_t>() {
    return "<i8";
}

NpyHeader parse_npy_header(const Bytes& b, const std::string& source) {
    if (b.size() < kMagicLen + 2 || std::memcmp(b.data(), kMagic, kMagicLen) != 0) {
        std::string found = HeaderParser::printable(std::string(b.begin(), b.begin() + std::min<std::size_t>(b.size(), 8)));
        throw IoError(source + ": expected a .npy file starting with \"\\x93NUMPY\", found \"" + found + "\"" +
                      (b.size() < kMagicLen + 2 ? " (" + std::to_string(b.size()) + " bytes)" : ""));
    }
    const unsigned major = b[kMagicLen], minor = b[kMagicLen + 1];
    if (!((major == 1 || major == 2 || major == 3) && minor == 0))
        throw IoError(source + ": expected .npy format version 1.0, 2.0 or 3.0, found " + std::to_string(major) + "." +
                      std::to_string(minor));
    const std::size_t len_bytes = major == 1 ? 2 : 4;
    const std::size_t start = kMagicLen + 2 + len_bytes;
    if (b.size() < start)
        throw IoError(source + ": expected a " + std::to_string(start) + "-byte .npy preamble, found only " +
                      std::to_string(b.size()) + " bytes (truncated)");
    std::size_t header_len = 0;
    for (std::size_t k = 0; k < len_bytes; ++k) header_len |= std::size_t(b[kMagicLen + 2 + k]) << (8 * k);
    if (header_len > kNpyMaxHeaderBytes)
        throw IoError(source + ": expected a .npy header of at most " + std::to_string(kNpyMaxHeaderBytes) +
                      " bytes, found a length field of " + std::to_string(header_len));
    if (b.size() - start < header_len)
        throw IoError(source + ": expected a " + std::to_string(header_len) + "-byte .npy header, found only " +
                      std::to_string(b.size() - start) + " bytes after the preamble (truncated)");
    const std::string text(b.begin() + static_cast<std::ptrdiff_t>(start),
                           b.begin() + static_cast<std::ptrdiff_t>(start + header_len));
    if (text.empty() || text.back() != '\n')
        throw IoError(source + ": malformed .npy header: expected it to end with a newline, found " +
                      (text.empty() ? std::string("an empty header") : "'" + HeaderParser::printable(text.substr(text.size() - 1)) + "'"));
    for (char c : text)
        if (static_cast<unsigned char>(c) >= 0x80 || c == '\0')
            throw IoError(source + ": malformed .npy header: expected ASCII text, found byte 0x" +
                          HeaderParser::printable(std::string(1, c)).substr(2));

    NpyHeader h;
    h.data_offset = start + header_len;
    HeaderParser p(text, source);
    bool have_descr = false, have_order = false, have_shape = false;
    p.expect('{');
    while (!p.eat('}')) {
        const std::string key = p.string_literal();
        p.expect(':');
        if (key == "descr" && !have_descr) {
            h.descr = p.string_literal();
            have_descr = true;
        } else if (key == "fortran_order" && !have_order) {
            h.fortran_order = p.boolean();
            have_order = true;
        } else if (key == "shape" && !have_shape) {
            h.shape = p.tuple();
            have_shape = true;
        } else {
            throw IoError(source + ": malformed .npy header: expected the keys 'descr', 'fortran_order', 'shape' once each, found '" +
                          HeaderParser::printable(key) + "'" + (key == "descr" || key == "fortran_order" || key == "shape" ? " twice" : ""));
        }
        if (p.eat('}')) break;
        p.expect(',');
    }
    if (!p.at_end()) p.fail("only padding after the closing '}'");
    if (!have_descr || !have_order || !have_shape)
        throw IoError(source + ": malformed .npy header: expected the keys 'descr', 'fortran_order' and 'shape', missing '" +
                      std::string(!have_descr ? "descr" : !have_order ? "fortran_order" : "shape") + "'");
    return h;
}

template <class T>
Tensor<T> parse_npy(const Bytes& b, const std::string& source) {
    const NpyHeader h = parse_npy_header(b, source);
    if (h.descr != npy_descr<T>()) {
        const std::string known = dtype_name(h.descr);
        throw ValueError(source + ": expected dtype '" + npy_descr<T>() + "' (" + type_name<T>() + "), found '" +
                         HeaderParser::printable(h.descr) + "'" + (known.empty() ? "" : " (" + known + ")"));
    }
    std::size_t count = 1;
    for (std::size_t d : h.shape) {
        if (d != 0 && count > kNpyMaxDataBytes / sizeof(T) / d)
            throw ValueError(source + ": expected at most " + std::to_string(kNpyMaxDataBytes) +
                             " data bytes, found shape " + shape_str(h.shape));
        count *= d;
    }
    const std::size_t want = count * sizeof(T);
    const std::size_t have = b.size() - h.data_offset;
    if (have != want)
        throw IoError(source + ": expected " + std::to_string(want) + " data bytes for shape " + shape_str(h.shape) +
                      " of " + h.descr + ", found " + std::to_string(have) + (have < want ? " (truncated)" : " (trailing bytes)"));
    if (!h.fortran_order || h.shape.size() < 2) {
        Tensor<T> t = Tensor<T>::from_shape(h.shape);
        if (want) std::memcpy(t.data(), b.data() + h.data_offset, want);
        return t;
    }
    // Fortran order: the data is the row-major array of the reversed shape; transpose it back.
    const Shape reversed(h.shape.rbegin(), h.shape.rend());
    Tensor<T> r = Tensor<T>::from_shape(reversed);
    if (want) std::memcpy(r.data(), b.data() + h.data_offset, want);
    Tensor<T> t = xt::transpose(r);
    return t;
}

template <class T>
Tensor<T> read_npy(const std::string& path) {
    return parse_npy<T>(read_file_bytes(path, kNpyMaxDataBytes + kNpyMaxHeaderBytes + 16), path);
}

template Tensor<float> parse_npy<float>(const Bytes&, const std::string&);
template Tensor<double> parse_npy<double>(const Bytes&, const std::string&);
template Tensor<std::int64_t> parse_npy<std::int64_t>(const Bytes&, const std::string&);
template Tensor<float> read_npy<float>(const std::string&);
template Tensor<double> read_npy<double>(const std::string&);
template Tensor<std::int64_t> read_npy<std::int64_t>(const std::string&);

}  // namespace gt
