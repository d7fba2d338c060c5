#include "nn/checkpoint.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "nn/durable.hpp"

namespace gt::nn {

namespace {

constexpr char kMagic[8] = {'G', 'T', 'C', 'K', 'P', 'T', '\r', '\n'};

std::uint64_t fnv_step(std::uint64_t h, const unsigned char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

struct Entry {
    std::string name;
    Shape shape;
};

// ---- writing ------------------------------------------------------------------------------------

class Writer {
   public:
    template <class U>
    void put(U v) {
        const auto* p = reinterpret_cast<const unsigned char*>(&v);
        bytes.insert(bytes.end(), p, p + sizeof(U));
    }
    void put_str(const std::string& s) {
        put<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
    void put_raw(const void* d, std::size_t n) {
        const auto* p = static_cast<const unsigned char*>(d);
        bytes.insert(bytes.end(), p, p + n);
    }
    std::vector<unsigned char> bytes;
};

// ---- reading with bounds checks ---------------------------------------------------------------

class Reader {
   public:
    Reader(const std::vector<unsigned char>& b, std::size_t end, const std::string& path)
        : b_(b), end_(end), path_(path) {}
    template <class U>
    U get(const char* what) {
        need(sizeof(U), what);
        U v;
        std::memcpy(&v, b_.data() + pos_, sizeof(U));
        pos_ += sizeof(U);
        return v;
    }
    std::string get_str(const char* what) {
        const auto n = get<std::uint32_t>(what);
        need(n, what);
        std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
        pos_ += n;
        return s;
    }
    const unsigned char* take(std::size_t n, const char* what) {
        need(n, what);
        const unsigned char* p = b_.data() + pos_;
        pos_ += n;
        return p;
    }
    std::size_t pos() const { return pos_; }

   private:
    void need(std::size_t n, const char* what) const {
        if (n > end_ - pos_)
            throw IoError("load_checkpoint '" + path_ + "': file is truncated: reading " + what + " needs " +
                          std::to_string(n) + " bytes at offset " + std::to_string(pos_) + ", but only " +
                          std::to_string(end_ - pos_) + " remain");
    }
    const std::vector<unsigned char>& b_;
    std::size_t end_, pos_ = 0;
    const std::string& path_;
};

template <class T>
std::vector<std::pair<std::string, Tensor<T>*>> collect(const std::vector<Parameter<T>*>& params,
                                                        Optimizer<T>* opt) {
    std::vector<std::pair<std::string, Tensor<T>*>> all;
    for (Parameter<T>* p : params) all.emplace_back(p->name, &p->value);
    if (opt)
        for (StateTensor<T>& s : opt->state()) all.emplace_back(s.name, s.tensor);
    return all;
}

}  // namespace

std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h) {
    return fnv_step(h, static_cast<const unsigned char*>(data), n);
}

template <class T>
void save_checkpoint(const std::string& path, const std::vector<Parameter<T>*>& params, Optimizer<T>* opt,
                     const std::string& user_blob) {
    const auto all = collect(params, opt);
    Writer w;
    w.put_raw(kMagic, sizeof kMagic);
    w.put<std::uint32_t>(kCheckpointVersion);
    w.put<std::uint32_t>(sizeof(T));
    w.put_str(opt ? opt->kind() : "");
    w.put<std::uint64_t>(opt ? opt->steps() : 0);
    w.put<std::uint64_t>(params.size());
    w.put<std::uint64_t>(all.size() - params.size());
    for (const auto& [name, t] : all) {
        w.put_str(name);
        w.put<std::uint32_t>(static_cast<std::uint32_t>(t->dimension()));
        for (std::size_t d : t->shape()) w.put<std::uint64_t>(d);
    }
    w.put<std::uint64_t>(user_blob.size());
    for (const auto& [name, t] : all) w.put_raw(t->data(), t->size() * sizeof(T));
    w.put_raw(user_blob.data(), user_blob.size());
    w.put<std::uint64_t>(fnv1a64(w.bytes.data(), w.bytes.size()));

    // Written with stdio so that a failure reports its errno (EFBIG, ENOSPC, EACCES ...).
    const std::string tmp = path + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw IoError("save_checkpoint: cannot open '" + tmp + "' for writing (" + std::strerror(errno) + ")");
    int err = 0;
    if (std::fwrite(w.bytes.data(), 1, w.bytes.size(), f) != w.bytes.size()) err = errno;
    if (!err && std::fflush(f) != 0) err = errno;
    // The bytes must be on disk before the rename makes them the checkpoint (power loss).
    const int sync_err = err ? 0 : sync_file(fileno(f));
    if (std::fclose(f) != 0 && !err) err = errno;
    if (err) {
        std::remove(tmp.c_str());
        throw IoError("save_checkpoint: writing " + std::to_string(w.bytes.size()) + " bytes to '" + tmp +
                      "' failed (" + std::strerror(err) + "); '" + path + "' is unchanged");
    }
    if (sync_err) {
        std::remove(tmp.c_str());
        throw IoError("save_checkpoint: cannot flush '" + tmp + "' to disk (fsync: " + std::strerror(sync_err) +
                      "); '" + path + "' is unchanged");
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        std::remove(tmp.c_str());
        throw IoError("save_checkpoint: cannot rename '" + tmp + "' to '" + path + "' (" + std::strerror(e) + ")");
    }
    sync_parent_folder(path);
}

template <class T>
std::string load_checkpoint(const std::string& path, const std::vector<Parameter<T>*>& params, Optimizer<T>* opt) {
    const std::string where = "load_checkpoint '" + path + "': ";
    std::ifstream f(path, std::ios::binary);
    if (!f) throw IoError(where + "cannot open the file (" + std::strerror(errno) + ")");
    const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());

    if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
        throw IoError(where + "not a gramtape checkpoint (expected magic \"GTCKPT\\r\\n\" at offset 0)");
    if (bytes.size() < sizeof kMagic + 8 + 8)
        throw IoError(where + "file is truncated: " + std::to_string(bytes.size()) + " bytes");
    const std::size_t body = bytes.size() - 8;
    Reader r(bytes, body, path);
    r.take(sizeof kMagic, "magic");
    const auto version = r.get<std::uint32_t>("version");
    if (version != kCheckpointVersion)
        throw IoError(where + "expected format version " + std::to_string(kCheckpointVersion) + ", found " +
                      std::to_string(version));
    const auto dtype = r.get<std::uint32_t>("dtype");
    if (dtype != sizeof(T))
        throw IoError(where + "expected " + (sizeof(T) == 4 ? "float32" : "float64") + " tensors, the file holds " +
                      (dtype == 4 ? "float32" : dtype == 8 ? "float64" : "dtype size " + std::to_string(dtype)));
    const std::string kind = r.get_str("optimizer kind");
    const auto steps = r.get<std::uint64_t>("optimizer steps");
    const auto n_file_params = r.get<std::uint64_t>("parameter count");
    const auto n_file_state = r.get<std::uint64_t>("state count");
    const std::uint64_t count = n_file_params + n_file_state;
    if (n_file_params > body || n_file_state > body)
        throw IoError(where + "corrupted header: " + std::to_string(n_file_params) + " parameters, " +
                      std::to_string(n_file_state) + " state tensors");
    std::vector<Entry> entries;
    std::size_t payload = 0;
    for (std::uint64_t i = 0; i < count; ++i) {
        Entry e;
        e.name = r.get_str("tensor name");
        const auto rank = r.get<std::uint32_t>("tensor rank");
        if (rank > 16) throw IoError(where + "corrupted header: tensor '" + e.name + "' has rank " + std::to_string(rank));
        std::size_t n = 1;
        for (std::uint32_t d = 0; d < rank; ++d) {
            e.shape.push_back(r.get<std::uint64_t>("tensor shape"));
            if (e.shape.back() != 0 && n > body / e.shape.back())
                throw IoError(where + "corrupted header: tensor '" + e.name + "' has absurd shape");
            n *= e.shape.back();
        }
        payload += n * sizeof(T);
        entries.push_back(std::move(e));
    }
    const auto blob_len = r.get<std::uint64_t>("blob length");
    const std::size_t expected = r.pos() + payload + blob_len + 8;
    if (payload > body || blob_len > body || expected != bytes.size())
        throw IoError(where + "file is truncated or has trailing bytes: the header promises " +
                      std::to_string(expected) + " bytes, the file has " + std::to_string(bytes.size()));
    std::uint64_t stored;
    std::memcpy(&stored, bytes.data() + body, 8);
    const std::uint64_t computed = fnv1a64(bytes.data(), body);
    if (stored != computed) {
        char sums[80];
        std::snprintf(sums, sizeof sums, "expected FNV-1a 0x%016llx (stored), computed 0x%016llx",
                      static_cast<unsigned long long>(stored), static_cast<unsigned long long>(computed));
        throw IoError(where + "checksum mismatch: " + sums + ": the file is corrupted");
    }

    // Compare with the model (and optimizer) before touching anything.
    const auto all = collect(params, opt);
    const std::size_t n_params = params.size();
    if (opt && kind != opt->kind())
        throw IoError(where + "optimizer state is for '" + (kind.empty() ? std::string("no optimizer") : kind) +
                      "', expected '" + opt->kind() + "'");
    if (n_file_params != n_params)
        throw IoError(where + "the file holds " + std::to_string(n_file_params) + " parameters, the model has " +
                      std::to_string(n_params) + " (a checkpoint of another model?)");
    if (opt && n_file_state != all.size() - n_params)
        throw IoError(where + "the file holds " + std::to_string(n_file_state) + " optimizer state tensors, '" +
                      opt->kind() + "' has " + std::to_string(all.size() - n_params));
    const std::size_t wanted = opt ? all.size() : n_params;
    for (std::size_t i = 0; i < wanted; ++i) {
        const Shape have = shape_of(*all[i].second);
        if (entries[i].name != all[i].first)
            throw IoError(where + "tensor " + std::to_string(i) + " is '" + entries[i].name + "', expected '" +
                          all[i].first + "' (a checkpoint of another model?)");
        if (entries[i].shape != have)
            throw IoError(where + "tensor '" + entries[i].name + "' has shape " + shape_str(entries[i].shape) +
                          ", the model expects " + shape_str(have));
    }
    // Valid: copy.
    const unsigned char* p = bytes.data() + r.pos();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const std::size_t n = numel(entries[i].shape) * sizeof(T);
        if (i < wanted) std::memcpy(all[i].second->data(), p, n);
        p += n;
    }
    if (opt) opt->set_steps(steps);
    return std::string(reinterpret_cast<const char*>(p), blob_len);
}

template void save_checkpoint(const std::string&, const std::vector<Parameter<float>*>&, Optimizer<float>*,
                              const std::string&);
template void save_checkpoint(const std::string&, const std::vector<Parameter<double>*>&, Optimizer<double>*,
                              const std::string&);
template std::string load_checkpoint(const std::string&, const std::vector<Parameter<float>*>&, Optimizer<float>*);
template std::string load_checkpoint(const std::string&, const std::vector<Parameter<double>*>&, Optimizer<double>*);

}  // namespace gt::nn
