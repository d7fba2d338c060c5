#include "nn/state.hpp"

#include <map>
#include <set>

#include <fmt/format.h>
#include <xtensor/xnpy.hpp>

#include "platform/npy.hpp"
#include "platform/files.hpp"
#include "platform/sha256.hpp"

namespace gt::nn {

namespace {

const char* kRestart = "delete the run folder (or choose another --out) to start this run over";

/// One file of a state: where its tensor lives in memory and what the manifest says of it.
template <class T>
struct Entry {
    std::string file;  // "layers.0.weight.npy", "opt.sgd.momentum_buffer.layers.0.weight.npy"
    std::string role;  // "parameter" or "optimizer"
    Tensor<T>* tensor;
};

template <class T>
std::vector<Entry<T>> entries(const std::vector<Parameter<T>*>& params, Optimizer<T>* opt) {
    std::vector<Entry<T>> out;
    for (auto* p : params) out.push_back({p->name + ".npy", "parameter", &p->value});
    if (opt)
        for (const auto& s : opt->state()) out.push_back({"opt." + s.name + ".npy", "optimizer", s.tensor});
    return out;
}

json shape_json(const Shape& s) {
    json a = json::array();
    for (auto d : s) a.push_back(d);
    return a;
}

/// The slot the manifest of `d` names, or "" when there is no manifest.
std::string active_slot(const fs::path& d) {
    if (!fs::exists(d / kManifestName)) return "";
    const json m = read_json(d / kManifestName);
    return m.is_object() && m.contains("slot") && m.at("slot").is_string() ? m.at("slot").get<std::string>() : "";
}

void make_folder(const fs::path& p) {
    std::error_code ec;
    fs::create_directories(p, ec);
    if (ec) throw IoError("cannot write " + p.string() + ": folder missing or not writable (" + ec.message() + ")");
}

void empty_folder(const fs::path& p) {
    std::error_code ec;
    fs::remove_all(p, ec);
    make_folder(p);
}

template <class V>
V field(const json& m, const char* key, const fs::path& where) {
    try {
        return m.at(key).get<V>();
    } catch (const json::exception&) {
        throw IoError(fmt::format("checkpoint {}: '{}' is missing or of the wrong type; {}", where.string(), key, kRestart));
    }
}

}  // namespace

template <class T>
void save_state(const fs::path& dir, const std::string& tag, const std::vector<Parameter<T>*>& params,
                Optimizer<T>* opt, const json& extra) {
    const fs::path d = dir / tag;
    make_folder(d);
    const std::string slot = active_slot(d) == "a" ? "b" : "a";
    empty_folder(d / slot);
    json files = json::array();
    for (const auto& e : entries(params, opt)) {
        std::string bytes;
        try {
            bytes = xt::dump_npy(*e.tensor);
        } catch (const std::exception& ex) {
            throw IoError("cannot write " + (d / slot / e.file).string() + ": " + ex.what());
        }
        write_text_atomic(d / slot / e.file, bytes);
        files.push_back({{"name", e.file}, {"role", e.role}, {"bytes", bytes.size()}, {"sha256", sha256_hex(bytes)},
                         {"shape", shape_json(shape_of(*e.tensor))}});
    }
    json m;
    m["format"] = kStateFormat;
    m["slot"] = slot;
    m["optimizer"] = opt ? json(opt->kind()) : json(nullptr);
    m["steps"] = opt ? opt->steps() : 0;
    m["extra"] = extra;
    m["files"] = files;
    m["checksum"] = sha256_hex(m.dump());  // of the manifest itself, without this key
    write_json_atomic(d / kManifestName, m);  // the commit point
    std::error_code ec;
    fs::remove_all(d / (slot == "a" ? "b" : "a"), ec);
    fs::remove(d / "state.json", ec);  // an older layout's marker, never read
}

template <class T>
json load_state(const fs::path& dir, const std::string& tag, const std::vector<Parameter<T>*>& params,
                Optimizer<T>* opt) {
    const fs::path d = dir / tag;
    const fs::path mpath = d / kManifestName;
    if (!fs::exists(d)) return json();
    if (!fs::is_directory(d))
        throw IoError(fmt::format("checkpoint {}: expected a folder, found a file; {}", d.string(), kRestart));
    if (!fs::exists(mpath)) {
        bool any = false;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(d, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
            any = any || it->is_regular_file(ec);
        if (!any) return json();  // an empty folder: nothing was ever saved
        throw IoError(fmt::format("checkpoint {}: files without {} (deleted, or written by an older gramtape that "
                                  "kept no checksums): cannot verify it; {}",
                                  d.string(), kManifestName, kRestart));
    }
    json m;
    try {
        m = read_json(mpath);
    } catch (const IoError& e) {
        throw IoError(fmt::format("checkpoint: {}; {}", e.what(), kRestart));
    }
    if (!m.is_object() || !m.contains("format") || m.at("format") != kStateFormat)
        throw IoError(fmt::format("checkpoint {}: not a gramtape state (expected \"format\": \"{}\"); {}", mpath.string(),
                                  kStateFormat, kRestart));
    const std::string checksum = field<std::string>(m, "checksum", mpath);
    m.erase("checksum");
    if (sha256_hex(m.dump()) != checksum)
        throw IoError(fmt::format("checkpoint {}: its contents do not match its own checksum: damaged or edited; {}",
                                  mpath.string(), kRestart));
    const std::string slot = field<std::string>(m, "slot", mpath);
    if (slot != "a" && slot != "b")
        throw IoError(fmt::format("checkpoint {}: slot '{}', expected \"a\" or \"b\"; {}", mpath.string(), slot, kRestart));
    const json listed = m.contains("files") && m.at("files").is_array() ? m.at("files") : json();
    if (listed.is_null()) throw IoError(fmt::format("checkpoint {}: 'files' is missing or not an array; {}", mpath.string(), kRestart));
    if (!m.contains("extra")) throw IoError(fmt::format("checkpoint {}: 'extra' is missing; {}", mpath.string(), kRestart));
    const fs::path sd = d / slot;

    // What the manifest lists, by file name.
    std::map<std::string, json> by_name;
    for (const auto& f : listed) {
        if (!f.is_object() || !f.contains("name") || !f.at("name").is_string() || !f.contains("sha256") ||
            !f.at("sha256").is_string() || !f.contains("bytes") || !f.at("bytes").is_number_unsigned())
            throw IoError(fmt::format("checkpoint {}: an entry of 'files' lacks name, bytes or sha256: {}; {}",
                                      mpath.string(), f.dump().substr(0, 200), kRestart));
        const std::string name = f.at("name").get<std::string>();
        if (name.empty() || name.find('/') != std::string::npos || name[0] == '.')
            throw IoError(fmt::format("checkpoint {}: file name '{}' is not a plain name; {}", mpath.string(), name, kRestart));
        if (!by_name.emplace(name, f).second)
            throw IoError(fmt::format("checkpoint {}: '{}' is listed twice; {}", mpath.string(), name, kRestart));
    }
    // The optimizer this run uses must be the one saved.
    if (opt) {
        const std::string kind = m.contains("optimizer") && m.at("optimizer").is_string()
                                     ? m.at("optimizer").get<std::string>()
                                     : "none";
        if (kind != opt->kind())
            throw IoError(fmt::format("checkpoint {}: optimizer {} saved, {} expected; {}", mpath.string(), kind,
                                      opt->kind(), kRestart));
    }
    // Every file the model (and optimizer) needs is listed; every listed file is one of them.
    const std::vector<Entry<T>> want = entries(params, opt);
    std::set<std::string> wanted;
    for (const auto& e : want) {
        wanted.insert(e.file);
        if (!by_name.count(e.file))
            throw IoError(fmt::format("checkpoint {}: lists no {} ({} {}): it was saved from another model or "
                                      "optimizer; {}",
                                      mpath.string(), e.file, e.role, shape_str(shape_of(*e.tensor)), kRestart));
    }
    for (const auto& [name, f] : by_name) {
        const std::string role = f.contains("role") && f.at("role").is_string() ? f.at("role").template get<std::string>() : "";
        if (!wanted.count(name) && !(opt == nullptr && role == "optimizer"))
            throw IoError(fmt::format("checkpoint {}: lists {}, which this model has no place for: it was saved "
                                      "from another model; {}",
                                      mpath.string(), name, kRestart));
    }
    // No file in the slot that the manifest does not list.
    std::error_code ec;
    for (auto it = fs::directory_iterator(sd, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (!by_name.count(name))
            throw IoError(fmt::format("checkpoint {}: extra file '{}' that {} does not list; {}", sd.string(), name,
                                      kManifestName, kRestart));
    }
    // Read and verify every listed file before anything in the model changes.
    std::map<std::string, Tensor<T>> loaded;
    for (const auto& [name, f] : by_name) {
        const fs::path p = sd / name;
        if (!fs::is_regular_file(p))
            throw IoError(fmt::format("checkpoint {}: {} is missing (listed in {}); {}", sd.string(), name, kManifestName,
                                      kRestart));
        const std::string bytes = read_text(p);
        if (bytes.size() != f.at("bytes").template get<std::size_t>())
            throw IoError(fmt::format("checkpoint {}: {} has {} bytes, the manifest says {}: damaged; {}", sd.string(),
                                      name, bytes.size(), f.at("bytes").template get<std::size_t>(), kRestart));
        const std::string h = sha256_hex(bytes);
        if (h != f.at("sha256").template get<std::string>())
            throw IoError(fmt::format("checkpoint {}: {} does not match its SHA-256 in the manifest (file {}…, "
                                      "manifest {}…): damaged; {}",
                                      sd.string(), name, h.substr(0, 12), f.at("sha256").template get<std::string>().substr(0, 12),
                                      kRestart));
        if (!wanted.count(name)) continue;  // optimizer files of a weights-only load: verified, not loaded
        const std::vector<unsigned char> raw(bytes.begin(), bytes.end());
        try {
            loaded.emplace(name, gt::parse_npy<T>(raw, p.string()));
        } catch (const ValueError& e) {  // another dtype than this model's
            throw IoError(std::string(e.what()) + "; " + kRestart);
        }
    }
    for (const auto& e : want) {
        const Tensor<T>& v = loaded.at(e.file);
        if (v.shape() != e.tensor->shape())
            throw IoError(fmt::format("checkpoint {}: {} has shape {}, this model's {} has {}; {}", sd.string(), e.file,
                                      shape_str(shape_of(v)), e.role, shape_str(shape_of(*e.tensor)), kRestart));
    }
    std::uint64_t steps = 0;
    if (opt) {
        if (!m.contains("steps") || !m.at("steps").is_number_unsigned())
            throw IoError(fmt::format("checkpoint {}: 'steps' is missing or not a whole number; {}", mpath.string(), kRestart));
        steps = m.at("steps").get<std::uint64_t>();
    }
    for (const auto& e : want) *e.tensor = std::move(loaded.at(e.file));
    if (opt) opt->set_steps(steps);
    return m.at("extra");
}

#define GT_INST(T)                                                                                            \
    template void save_state<T>(const fs::path&, const std::string&, const std::vector<Parameter<T>*>&,   \
                                Optimizer<T>*, const json&);                                              \
    template json load_state<T>(const fs::path&, const std::string&, const std::vector<Parameter<T>*>&,   \
                                Optimizer<T>*);
GT_INST(float)
GT_INST(double)

}  // namespace gt::nn
