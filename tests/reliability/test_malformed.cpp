// Every bad input of the table in docs/reliability.md, run here: each row names a scenario below, the
// exception type it must throw and its exact message (the scratch folder printed as <tmp>). The test of
// a row fails if the scenario does not throw, throws another type or another message, and the table
// test fails if the document and the scenarios list different rows. With GT_RELIABILITY_PRINT=1 the
// rows are printed as Markdown (how the table was made).
#include <functional>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <set>

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <sys/resource.h>
#include <zlib.h>

#include "analysis/target_linearity.hpp"
#include "autodiff/autodiff.hpp"
#include "datasets/cifar.hpp"
#include "datasets/idx.hpp"
#include "datasets/loader.hpp"
#include "platform/npy.hpp"
#include "datasets/synthetic.hpp"
#include "nn/adam.hpp"
#include "platform/durable.hpp"
#include "platform/files.hpp"
#include "nn/dnn.hpp"
#include "nn/losses.hpp"
#include "nn/sgd.hpp"
#include "nn/state.hpp"
#include "nn/training_loop.hpp"
#include "tests/reliability/helpers.hpp"
#ifdef GT_WITH_EXPERIMENTS
#include "experiments/guarded_metrics.hpp"
#endif

using namespace gt;
using namespace gt::rel;

namespace {

Bytes idx_images(std::uint32_t n, std::uint32_t rows, std::uint32_t cols) {
    Bytes b;
    put_be32(b, data::kIdxImageMagic);
    put_be32(b, n);
    put_be32(b, rows);
    put_be32(b, cols);
    b.resize(b.size() + std::size_t(n) * rows * cols, 7);
    return b;
}
Bytes idx_labels(const std::vector<unsigned char>& y) {
    Bytes b;
    put_be32(b, data::kIdxLabelMagic);
    put_be32(b, static_cast<std::uint32_t>(y.size()));
    b.insert(b.end(), y.begin(), y.end());
    return b;
}
Bytes gzip(const Bytes& raw) {
    z_stream zs{};
    deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    Bytes out(deflateBound(&zs, static_cast<uLong>(raw.size())) + 64);
    zs.next_in = const_cast<unsigned char*>(raw.data());
    zs.avail_in = static_cast<uInt>(raw.size());
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}
Bytes cifar_records(const std::vector<unsigned char>& labels) {
    Bytes b;
    for (unsigned char l : labels) {
        b.push_back(l);
        b.resize(b.size() + data::kCifarImageBytes, 100);
    }
    return b;
}
/// A version-1.0 .npy file with the given header dict and `data_bytes` zero bytes of data.
Bytes npy(const std::string& dict, std::size_t data_bytes, unsigned char major = 1) {
    std::string header = dict;
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    Bytes b = {0x93, 'N', 'U', 'M', 'P', 'Y', major, 0};
    b.push_back(static_cast<unsigned char>(header.size() & 0xFF));
    b.push_back(static_cast<unsigned char>(header.size() >> 8));
    b.insert(b.end(), header.begin(), header.end());
    b.resize(b.size() + data_bytes, 0);
    return b;
}

// A small classifier and its optimizer, as a run saves them (the state "ckpt" under a folder).
template <class T>
struct Net {
    Rng rng;
    nn::DNN<T> model;
    std::unique_ptr<nn::Optimizer<T>> opt;
    explicit Net(std::size_t hidden = 8, bool adam = false, std::uint64_t seed = 1)
        : rng(seed), model(4, hidden, 3, 1, true, nn::Activation::GELU, rng) {
        if (adam)
            opt = std::make_unique<nn::Adam<T>>(model.parameters(), nn::AdamOptions{});
        else
            opt = std::make_unique<nn::SGD<T>>(model.parameters(), nn::SGDOptions{0.1, 0.9, 0.0, false});
    }
    void save(const std::string& dir) { nn::save_state<T>(dir, "ckpt", model.parameters(), opt.get(), {{"epoch", 1}}); }
    void load(const std::string& dir) { nn::load_state<T>(dir, "ckpt", model.parameters(), opt.get()); }
};

/// The file `name` of the committed slot of the state "ckpt" under `dir`.
std::string state_file(const TempDir& d, const std::string& name) {
    const fs::path s = d.path / "ckpt";
    return (s / gt::read_json(s / nn::kManifestName).at("slot").get<std::string>() / name).string();
}

/// Throws if a temporary (a name starting with '.') is left anywhere under `dir`.
void no_temporaries(const fs::path& dir) {
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.path().filename().string()[0] == '.') throw std::runtime_error(e.path().string() + " was left behind");
}

/// One epoch of nn::train_epoch over `ds` in batches of 16 (fixed order), as "reliability run A",
/// epoch 1; `after_backward` may tamper with the gradients of a step.
void train_one_epoch(Net<double>& net, const data::Dataset<double>& ds, const std::function<void(Tape<double>&)>& after_backward) {
    data::BatchLoader<double> loader(ds, 16, false, 0);
    Tape<double> tape;
    long step = 0;
    nn::StepHooks<double> hooks;
    hooks.after_backward = after_backward;
    nn::train_epoch(loader, tape, *net.opt, nn::classifier_loss(net.model), {"reliability run A", 1}, step, hooks);
}

struct Scenario {
    std::string id;     // the row id in docs/reliability.md
    std::string input;  // what was tried (for the printed table)
    std::function<void(const TempDir&)> run;
};

std::vector<Scenario> scenarios() {
    using D = const TempDir&;
    std::vector<Scenario> s;
    auto add = [&](std::string id, std::string input, std::function<void(D)> run) {
        s.push_back({std::move(id), std::move(input), std::move(run)});
    };
    // ---- IDX -------------------------------------------------------------------------------
    add("idx-truncated", "IDX images (3, 4, 4) with 20 of 48 pixel bytes", [](D d) {
        Bytes b = idx_images(3, 4, 4);
        b.resize(16 + 20);
        write_bytes(d.file("img"), b);
        data::read_idx_images<float>(d.file("img"));
    });
    add("idx-trailing", "IDX images (3, 4, 4) with one extra byte", [](D d) {
        Bytes b = idx_images(3, 4, 4);
        b.push_back(0);
        write_bytes(d.file("img"), b);
        data::read_idx_images<float>(d.file("img"));
    });
    add("idx-short-header", "IDX images: magic and 2 of 3 dimensions", [](D d) {
        Bytes b = idx_images(3, 4, 4);
        b.resize(12);
        write_bytes(d.file("img"), b);
        data::read_idx_images<float>(d.file("img"));
    });
    add("idx-wrong-magic", "a label file read as images", [](D d) {
        write_bytes(d.file("lbl"), idx_labels({1, 2}));
        data::read_idx_images<float>(d.file("lbl"));
    });
    add("idx-gzip-corrupt", "gzip magic followed by garbage", [](D d) {
        write_bytes(d.file("img.gz"), {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef});
        data::read_idx_images<float>(d.file("img.gz"));
    });
    add("idx-gzip-truncated", "gzip of a valid label file, cut in half", [](D d) {
        Bytes g = gzip(idx_labels(std::vector<unsigned char>(1000, 3)));
        g.resize(g.size() / 2);
        write_bytes(d.file("lbl.gz"), g);
        data::read_idx_labels(d.file("lbl.gz"), 10);
    });
    add("idx-gzip-bomb", "gzip that inflates to 200 MB of zeros", [](D d) {
        // 200 MB of zeros compress to ~200 kB; written in pieces to keep the test's memory small.
        z_stream zs{};
        deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
        Bytes zeros(1 << 20, 0), out, chunk(1 << 16);
        for (int i = 0; i < 200; ++i) {
            zs.next_in = zeros.data();
            zs.avail_in = static_cast<uInt>(zeros.size());
            do {
                zs.next_out = chunk.data();
                zs.avail_out = static_cast<uInt>(chunk.size());
                deflate(&zs, i == 199 ? Z_FINISH : Z_NO_FLUSH);
                out.insert(out.end(), chunk.data(), chunk.data() + (chunk.size() - zs.avail_out));
            } while (zs.avail_out == 0);
        }
        deflateEnd(&zs);
        write_bytes(d.file("bomb.gz"), out);
        data::read_idx_images<float>(d.file("bomb.gz"));
    });
    add("idx-zero-dim", "IDX images with dimensions (0, 28, 28)", [](D d) {
        write_bytes(d.file("img"), idx_images(0, 28, 28));
        data::read_idx_images<float>(d.file("img"));
    });
    add("idx-huge-dim", "IDX images with dimensions (4294967295, 28, 28) and no data", [](D d) {
        Bytes b;
        put_be32(b, data::kIdxImageMagic);
        put_be32(b, 4294967295u);
        put_be32(b, 28);
        put_be32(b, 28);
        write_bytes(d.file("img"), b);
        data::read_idx_images<float>(d.file("img"));
    });
    add("idx-label-range", "label 10 in a 10-class label file", [](D d) {
        write_bytes(d.file("lbl"), idx_labels({1, 10, 2}));
        data::read_idx_labels(d.file("lbl"), 10);
    });
    add("idx-count-mismatch", "3 images, 2 labels", [](D d) {
        write_bytes(d.file("img"), idx_images(3, 2, 2));
        write_bytes(d.file("lbl"), idx_labels({1, 2}));
        data::read_idx_pair<float>(d.file("img"), d.file("lbl"), 10, "pair");
    });
    add("idx-missing", "a file that does not exist", [](D d) { data::read_idx_images<float>(d.file("nothing")); });
    add("idx-directory", "a directory where a file is expected", [](D d) { data::read_idx_images<float>(d.str()); });
    // ---- CIFAR -----------------------------------------------------------------------------
    add("cifar-partial-record", "CIFAR-10: 2 records minus one byte", [](D d) {
        Bytes b = cifar_records({1, 2});
        b.pop_back();
        write_bytes(d.file("batch.bin"), b);
        data::read_cifar<float>({d.file("batch.bin")}, data::kCifar10, "cifar10");
    });
    add("cifar-empty", "CIFAR-10: an empty file", [](D d) {
        write_bytes(d.file("batch.bin"), {});
        data::read_cifar<float>({d.file("batch.bin")}, data::kCifar10, "cifar10");
    });
    add("cifar-label-range", "CIFAR-10: label 10 in the second record", [](D d) {
        write_bytes(d.file("batch.bin"), cifar_records({1, 10}));
        data::read_cifar<float>({d.file("batch.bin")}, data::kCifar10, "cifar10");
    });
    add("cifar-no-files", "CIFAR: an empty list of record files", [](D) {
        data::read_cifar<float>({}, data::kCifar10, "cifar10");
    });
    // ---- .npy ------------------------------------------------------------------------------
    const std::string f8_23 = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }";
    add("npy-truncated", ".npy float64 (2, 3) with 40 of 48 data bytes", [f8_23](D) {
        gt::parse_npy<double>(npy(f8_23, 40), "a.npy");
    });
    add("npy-trailing", ".npy float64 (2, 3) with 56 data bytes", [f8_23](D) {
        gt::parse_npy<double>(npy(f8_23, 56), "a.npy");
    });
    add("npy-wrong-magic", "a PNG file read as .npy", [](D) {
        gt::parse_npy<double>({0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13}, "a.npy");
    });
    add("npy-wrong-dtype", ".npy float32 read as float64", [](D) {
        gt::parse_npy<double>(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 24), "a.npy");
    });
    add("npy-int-as-float", ".npy int64 read as float32", [](D) {
        gt::parse_npy<float>(npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16), "a.npy");
    });
    add("npy-big-endian", ".npy big-endian float64 ('>f8')", [](D) {
        gt::parse_npy<double>(npy("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", 16), "a.npy");
    });
    add("npy-huge-shape", ".npy float64 with shape (4294967296, 4294967296)", [](D) {
        gt::parse_npy<double>(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0), "a.npy");
    });
    add("npy-negative-dim", ".npy with shape (2, -3)", [](D) {
        gt::parse_npy<double>(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3), }", 0), "a.npy");
    });
    add("npy-empty-header", ".npy whose header length is 0", [](D) {
        gt::parse_npy<double>({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0}, "a.npy");
    });
    add("npy-header-length", ".npy whose header length field says 60000 bytes (file has 70)", [](D) {
        Bytes b = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8);
        b[8] = 0x60;
        b[9] = 0xEA;
        b.resize(80);
        gt::parse_npy<double>(b, "a.npy");
    });
    add("npy-missing-key", ".npy header without 'shape'", [](D) {
        gt::parse_npy<double>(npy("{'descr': '<f8', 'fortran_order': False, }", 8), "a.npy");
    });
    add("npy-version", ".npy format version 9.0", [](D) {
        gt::parse_npy<double>(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 8, 9), "a.npy");
    });
    // ---- NaN / Inf ---------------------------------------------------------------------------
    add("nan-in-data", "a NaN pixel in the second batch of a training epoch", [](D) {
        Net<double> net;
        data::Dataset<double> ds = data::make_quadratic<double>({64, 4, 2, 0.1, 3}, 5);
        ds.x(20, 1) = std::numeric_limits<double>::quiet_NaN();  // in batch 1 (samples 16..31)
        train_one_epoch(net, ds, {});
    });
    add("inf-gradient", "a gradient that overflows (log of 1e-320) with the tape's finite check on", [](D) {
        Tape<double> t;
        t.set_check_finite(true);
        Tensor<double> x = {1.0, 1e-320};
        auto v = t.input(x, true, "x");
        t.backward(sum(log(v)));
    });
    add("nan-value", "a NaN weight, found by Tape::assert_finite after the forward pass", [](D) {
        Net<double> net;
        net.model.linears()[1]->weight.value(1, 2) = std::numeric_limits<double>::quiet_NaN();
        Tape<double> t;
        Tensor<double> x = xt::ones<double>({2, 4});
        net.model.forward(t, t.input(x));
        t.assert_finite();
    });
    add("nan-gradient-step", "a NaN gradient of 'layers.0.weight' at step 1 (set after backward), found at step 2", [](D) {
        Net<double> net;
        bool first = true;
        train_one_epoch(net, data::make_quadratic<double>({64, 4, 2, 0.1, 3}, 5), [&](Tape<double>&) {
            if (first) net.model.parameter("layers.0.weight").grad(0, 0) = std::numeric_limits<double>::quiet_NaN();
            first = false;
        });
    });
#ifdef GT_WITH_EXPERIMENTS
    add("tl-nan-site", "streamed TL of a hidden layer with a NaN feature, as fig13 evaluates it (run wd0.5, layer 2, epoch 3, step 243)", [](D) {
        analysis::LayerStatistics<double> st(2, 1, "layer 2");
        Tensor<double> h = xt::ones<double>({6, 2});
        h(3, 1) = std::numeric_limits<double>::quiet_NaN();
        Tensor<double> y = xt::zeros<double>({6, 1});
        y(0, 0) = 1.0;
        st.add(h, y);
        experiments::tl_at(experiments::MetricSite{"fig13", "wd0.5", "", 3, 243}.at_layer(2), st);
    });
#endif
    add("tl-nan-features", "Target Linearity of features containing NaN", [](D) {
        Tensor<double> h = xt::ones<double>({6, 2});
        h(3, 1) = std::numeric_limits<double>::quiet_NaN();
        Tensor<double> y = xt::zeros<double>({6, 1});
        analysis::target_linearity(h, y);
    });
    // ---- saved states (nn/state.hpp) -----------------------------------------------------------
    add("ckpt-other-model", "state of a hidden-16 model loaded into a hidden-8 model", [](D d) {
        Net<float>(16).save(d.str());
        Net<float>(8).load(d.str());
    });
    add("ckpt-other-optimizer", "state with SGD buffers loaded with Adam", [](D d) {
        Net<float>(8, false).save(d.str());
        Net<float>(8, true).load(d.str());
    });
    add("ckpt-dtype", "float32 state loaded into a float64 model", [](D d) {
        Net<float>().save(d.str());
        Net<double>().load(d.str());
    });
    add("ckpt-truncated", "state whose layers.0.weight.npy is cut to 100 bytes", [](D d) {
        Net<float>().save(d.str());
        Bytes b = read_bytes(state_file(d, "layers.0.weight.npy"));
        b.resize(100);
        write_bytes(state_file(d, "layers.0.weight.npy"), b);
        Net<float>().load(d.str());
    });
    add("ckpt-bit-flip", "state with one byte of layers.0.weight.npy changed", [](D d) {
        Net<float>().save(d.str());
        Bytes b = read_bytes(state_file(d, "layers.0.weight.npy"));
        b[b.size() - 20] ^= 0x10;
        write_bytes(state_file(d, "layers.0.weight.npy"), b);
        Net<float>().load(d.str());
    });
    add("ckpt-unwritable", "state saved below a path that is a regular file", [](D d) {
        write_bytes(d.file("file"), {1});
        Net<float>().save(d.file("file"));
    });
    add("ckpt-fsync-fails", "state whose first file cannot be flushed to disk (fsync fails with EIO)", [](D d) {
        Net<float>(2).save(d.str());
        set_fsync_hook([](int) {
            errno = EIO;
            return -1;
        });
        std::string what;
        try {
            Net<float>(256).save(d.str());
        } catch (const IoError& e) {
            what = e.what();
        }
        set_fsync_hook(nullptr);
        no_temporaries(d.path);
        Net<float>(2).load(d.str());  // the previous state is intact (throws otherwise)
        if (what.empty()) throw std::runtime_error("a failing fsync was not reported");
        throw IoError(what);
    });
    add("ckpt-disk-full", "state saved with RLIMIT_FSIZE = 4 kB (a full disk), in a child process", [](D d) {
        // The limit applies to the child only; SIGXFSZ is ignored so write() fails with EFBIG.
        // A complete small state is there before; it must survive, and no temporary may remain.
        Net<float>(2).save(d.str());
        const ChildResult r = in_child([&](const auto& report) {
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit lim{4096, 4096};
            ::setrlimit(RLIMIT_FSIZE, &lim);
            try {
                Net<float>(256).save(d.str());
            } catch (const IoError& e) {
                report(e.what());
                return 0;
            }
            return 1;
        });
        if (!r.exited_ok()) throw std::runtime_error("the child did not report an IoError");
        no_temporaries(d.path);
        Net<float>(2).load(d.str());  // the previous state is intact (throws otherwise)
        throw IoError(r.output);
    });
    // ---- values --------------------------------------------------------------------------------
    add("loader-batch-zero", "BatchLoader with batch size 0", [](D) {
        const data::Dataset<float> ds = data::make_swissroll<float>(10, 1);
        data::BatchLoader<float> loader(ds, 0, false, 0);
    });
    add("tl-negative-lambda", "Target Linearity with ridge lambda = -1", [](D) {
        Tensor<double> h = xt::ones<double>({4, 2});
        Tensor<double> y = xt::ones<double>({4, 1});
        analysis::target_linearity(h, y, {-1.0});
    });
    return s;
}

const std::vector<Scenario>& all() {
    static const std::vector<Scenario> s = scenarios();
    return s;
}

std::string type_of(const Error& e) {
    if (dynamic_cast<const IoError*>(&e)) return "IoError";
    if (dynamic_cast<const ValueError*>(&e)) return "ValueError";
    if (dynamic_cast<const ShapeError*>(&e)) return "ShapeError";
    return "Error";
}

struct Outcome {
    bool threw = false;
    std::string type, message;
};

Outcome run(const Scenario& sc) {
    TempDir d;
    Outcome o;
    try {
        sc.run(d);
    } catch (const Error& e) {
        o.threw = true;
        o.type = type_of(e);
        o.message = replace_all(e.what(), d.str(), "<tmp>");
    }
    return o;
}

}  // namespace

namespace gt::rel {

std::map<std::string, DocRow> doc_rows() {
    const char* root = std::getenv("GT_SOURCE_ROOT");
    const std::string path = std::string(root ? root : ".") + "/docs/reliability.md";
    std::ifstream f(path);
    if (!f) throw std::runtime_error("cannot read " + path + " (GT_SOURCE_ROOT must name the source tree)");
    std::map<std::string, DocRow> rows;
    bool in_section = false;  // only the "## Malformed inputs" table; other tables (fuzz targets, ...) differ
    for (std::string line; std::getline(f, line);) {
        if (line.rfind("## ", 0) == 0) in_section = line.rfind("## Malformed inputs", 0) == 0;
        if (!in_section || line.rfind("| `", 0) != 0) continue;  // table rows start with an id in backticks
        std::vector<std::string> cells;
        std::string cell;
        for (std::size_t i = 1; i < line.size(); ++i) {
            if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == '|') {
                cell += '|';
                ++i;
            } else if (line[i] == '|') {
                cells.push_back(cell);
                cell.clear();
            } else {
                cell += line[i];
            }
        }
        auto trim = [](std::string s) {
            while (!s.empty() && s.front() == ' ') s.erase(0, 1);
            while (!s.empty() && s.back() == ' ') s.pop_back();
            if (s.size() >= 2 && s.front() == '`' && s.back() == '`') s = s.substr(1, s.size() - 2);
            return s;
        };
        if (cells.size() < 4) continue;
        rows[trim(cells[0])] = {trim(cells[cells.size() - 2]), trim(cells.back())};
    }
    return rows;
}

}  // namespace gt::rel

BOOST_AUTO_TEST_SUITE(malformed_inputs)

BOOST_DATA_TEST_CASE(bad_input_gives_the_documented_message, boost::unit_test::data::xrange(all().size()), i) {
    const Scenario& sc = all()[i];
    const Outcome o = run(sc);
    if (std::getenv("GT_RELIABILITY_PRINT"))
        std::cout << "| `" << sc.id << "` | " << sc.input << " | " << o.type << " | `"
                  << replace_all(o.message, "|", "\\|") << "` |\n";
    BOOST_TEST_CONTEXT("row " << sc.id) {
        BOOST_TEST_REQUIRE(o.threw, "expected a gt::Error, nothing was thrown");
        const auto rows = doc_rows();
        const auto it = rows.find(sc.id);
        BOOST_TEST_REQUIRE((it != rows.end()), "docs/reliability.md has no row " << sc.id);
        BOOST_TEST(o.type == it->second.type);
        BOOST_TEST(o.message == it->second.message);
    }
}

BOOST_AUTO_TEST_CASE(the_document_lists_exactly_the_tested_rows) {
    std::set<std::string> ids;
    for (const Scenario& sc : all()) {
        BOOST_TEST(ids.insert(sc.id).second, "duplicate scenario id " << sc.id);
    }
#ifndef GT_WITH_EXPERIMENTS
    ids.insert("tl-nan-site");  // its scenario needs the experiments library, not built here
#endif
    for (const auto& [id, row] : doc_rows())
        if (id.rfind("cli-", 0) != 0)  // CLI rows are tested in test_cli.cpp
            BOOST_TEST(ids.count(id) == 1u, "docs/reliability.md row " << id << " has no scenario");
}

BOOST_AUTO_TEST_SUITE_END()
