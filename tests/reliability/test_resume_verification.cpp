// Resume trusts nothing it has not verified. The checkpoint state (manifest + .npy files), the run
// folder's lock, progress.json, metrics.csv and the data fingerprint, each damaged the way a crash, a
// full disk, a second process or a careless user damages them: every case stops with a message that
// names the file and what differs, never a crash and never exit 0 with other numbers.
#include <chrono>
#include <csignal>
#include <fstream>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "autodiff/autodiff.hpp"
#include "experiments/figure.hpp"
#include "experiments/run_folder.hpp"
#include "nn/dnn.hpp"
#include "nn/sgd.hpp"
#include "nn/state.hpp"
#include "nn/training_loop.hpp"
#include "platform/files.hpp"
#include "platform/sha256.hpp"
#include "tests/reliability/cli_helpers.hpp"

using namespace gt;
using namespace gt::rel;
namespace ex = gt::experiments;
using ex::json;

namespace {

/// A small MLP with an SGD-with-momentum optimizer whose buffers are non-zero after two steps.
struct Net {
    Rng rng;
    nn::DNN<double> model;
    nn::SGD<double> opt;
    explicit Net(std::size_t width, std::uint64_t seed = 1)
        : rng(seed),
          model(4, width, 3, 1, true, nn::Activation::GELU, rng),
          opt(model.parameters(), nn::SGDOptions{0.1, 0.9, 0.0, false}) {}
    void train(int steps) {
        Tensor<double> x = Tensor<double>::from_shape({5, 4});
        for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(1.0 + i);
        const Labels y{0, 1, 2, 1, 0};
        Tape<double> tape;
        long step = 0;
        for (int s = 0; s < steps; ++s)
            nn::train_step(tape, opt, [&](Tape<double>& t) { return nn::classifier_loss(model)(t, x, y); }, {"resume net"}, step);
    }
    std::vector<Tensor<double>> values() const {
        std::vector<Tensor<double>> v;
        for (auto* p : const_cast<nn::DNN<double>&>(model).parameters()) v.push_back(p->value);
        for (const auto& s : const_cast<nn::SGD<double>&>(opt).state()) v.push_back(*s.tensor);
        return v;
    }
};

std::string error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const gt::IoError& e) {
        return e.what();
    } catch (const std::exception& e) {
        return std::string("(not an IoError) ") + e.what();
    }
    return "(no error)";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

fs::path slot_of(const fs::path& state) {
    return state / gt::read_json(state / "manifest.json").at("slot").get<std::string>();
}

/// Rewrites the manifest's hashes, sizes and checksum to match the files as they now are: a damaged
/// state that is consistent on its face, so the later checks (shape, names) are reached.
void reseal(const fs::path& state) {
    json m = gt::read_json(state / "manifest.json");
    for (auto& f : m.at("files")) {
        const Bytes b = read_bytes((slot_of(state) / f.at("name").get<std::string>()).string());
        f["bytes"] = b.size();
        f["sha256"] = gt::sha256_hex(b.data(), b.size());
    }
    m.erase("checksum");
    m["checksum"] = gt::sha256_hex(m.dump());
    gt::write_json_atomic(state / "manifest.json", m);
}

const char* kMomentum = "opt.sgd.momentum_buffer.layers.0.weight.npy";

}  // namespace

BOOST_AUTO_TEST_SUITE(resume_verification)

BOOST_AUTO_TEST_CASE(a_saved_state_loads_back_exactly) {
    TempDir t;
    Net a(6);
    a.train(2);
    nn::save_state<double>(t.path, "s", a.model.parameters(), &a.opt, {{"epoch", 2}});
    nn::save_state<double>(t.path, "s", a.model.parameters(), &a.opt, {{"epoch", 2}});  // second slot
    Net b(6, 99);
    const json extra = nn::load_state<double>(t.path, "s", b.model.parameters(), &b.opt);
    BOOST_TEST(extra.at("epoch").get<int>() == 2);
    BOOST_TEST(b.opt.steps() == a.opt.steps());
    const auto va = a.values(), vb = b.values();
    BOOST_REQUIRE(va.size() == vb.size());
    for (std::size_t i = 0; i < va.size(); ++i) BOOST_TEST((va[i] == vb[i]), "tensor " << i);
    // Only the committed slot remains after a save.
    BOOST_TEST(fs::exists(slot_of(t.path / "s")));
    BOOST_TEST(!fs::exists(t.path / "s" / (slot_of(t.path / "s").filename() == "a" ? "b" : "a")));
    // Nothing saved: null, the model untouched.
    BOOST_TEST(nn::load_state<double>(t.path, "none", b.model.parameters(), &b.opt).is_null());
}

BOOST_AUTO_TEST_CASE(a_save_killed_midway_leaves_the_previous_state) {
    TempDir t;
    Net a(6);
    a.train(1);
    nn::save_state<double>(t.path, "s", a.model.parameters(), &a.opt, {{"epoch", 1}});
    const auto before = a.values();
    // A later save that died after writing part of the other slot: garbage there, manifest unchanged.
    const fs::path other = t.path / "s" / (slot_of(t.path / "s").filename() == "a" ? "b" : "a");
    fs::create_directories(other);
    write_bytes((other / "layers.0.weight.npy").string(), {1, 2, 3});
    Net b(6, 5);
    BOOST_TEST(nn::load_state<double>(t.path, "s", b.model.parameters(), &b.opt).at("epoch").get<int>() == 1);
    const auto after = b.values();
    for (std::size_t i = 0; i < before.size(); ++i) BOOST_TEST((before[i] == after[i]));
}

BOOST_AUTO_TEST_CASE(every_damage_is_named_and_leaves_the_model_untouched) {
    struct Case {
        std::string what;
        std::function<void(const fs::path& state)> damage;
        std::string expect;  // part of the message
    };
    const std::vector<Case> cases = {
        {"flipped bit in a weight", [](const fs::path& s) {
             const std::string f = (slot_of(s) / "layers.1.weight.npy").string();
             Bytes b = read_bytes(f);
             b[b.size() - 3] ^= 0x10;
             write_bytes(f, b);
         }, "layers.1.weight.npy does not match its SHA-256 in the manifest"},
        {"deleted optimizer buffer", [](const fs::path& s) { fs::remove(slot_of(s) / kMomentum); },
         std::string(kMomentum) + " is missing (listed in manifest.json)"},
        {"truncated weight", [](const fs::path& s) {
             const std::string f = (slot_of(s) / "layers.0.bias.npy").string();
             Bytes b = read_bytes(f);
             b.resize(b.size() - 8);
             write_bytes(f, b);
         }, "layers.0.bias.npy has"},
        {"extra file in the state", [](const fs::path& s) { write_bytes((slot_of(s) / "stray.npy").string(), {0}); },
         "extra file 'stray.npy'"},
        {"manifest edited by hand", [](const fs::path& s) {
             json m = gt::read_json(s / "manifest.json");
             m["steps"] = 1;
             gt::write_json_atomic(s / "manifest.json", m);
         }, "do not match its own checksum"},
        {"manifest deleted", [](const fs::path& s) { fs::remove(s / "manifest.json"); }, "files without manifest.json"},
        {"manifest not JSON", [](const fs::path& s) { write_bytes((s / "manifest.json").string(), {'{', '"'}); },
         "manifest.json"},
        {"momentum buffer of another shape, hashes fixed up", [](const fs::path& s) {
             Net other(9);
             other.train(1);
             nn::save_state<double>(s.parent_path(), "other", other.model.parameters(), &other.opt, {{"epoch", 1}});
             fs::copy_file(slot_of(s.parent_path() / "other") / kMomentum, slot_of(s) / kMomentum,
                           fs::copy_options::overwrite_existing);
             reseal(s);
         }, std::string(kMomentum) + " has shape (9, 4), this model's optimizer has (6, 4)"},
        {"another optimizer", [](const fs::path& s) {
             json m = gt::read_json(s / "manifest.json");
             m["optimizer"] = "adam";
             m.erase("checksum");
             m["checksum"] = gt::sha256_hex(m.dump());
             gt::write_json_atomic(s / "manifest.json", m);
         }, "optimizer adam saved, sgd expected"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            TempDir t;
            Net a(6);
            a.train(2);
            nn::save_state<double>(t.path, "s", a.model.parameters(), &a.opt, {{"epoch", 2}});
            c.damage(t.path / "s");
            Net b(6, 7);
            b.train(1);
            const auto before = b.values();
            const std::uint64_t steps = b.opt.steps();
            const std::string msg = error_of([&] { nn::load_state<double>(t.path, "s", b.model.parameters(), &b.opt); });
            BOOST_TEST(has(msg, c.expect), msg);
            BOOST_TEST(has(msg, "start this run over"), msg);
            const auto after = b.values();
            for (std::size_t i = 0; i < before.size(); ++i) BOOST_TEST((before[i] == after[i]), "tensor " << i);
            BOOST_TEST(b.opt.steps() == steps);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_state_of_another_model_is_refused) {
    TempDir t;
    Net wide(8);
    nn::save_state<double>(t.path, "s", wide.model.parameters(), &wide.opt, {{"epoch", 1}});
    Net narrow(6);
    const std::string msg = error_of([&] { nn::load_state<double>(t.path, "s", narrow.model.parameters(), &narrow.opt); });
    BOOST_TEST(has(msg, "layers.0.weight.npy has shape (8, 4), this model's parameter has (6, 4)"), msg);
    // Weights-only state, loaded with an optimizer: the optimizer's files are missing.
    nn::save_state<double>(t.path, "w", wide.model.parameters(), nullptr, {{"epoch", 1}});
    Net same(8);
    const std::string m2 = error_of([&] { nn::load_state<double>(t.path, "w", same.model.parameters(), &same.opt); });
    BOOST_TEST(has(m2, "optimizer none saved, sgd expected"), m2);
}

BOOST_AUTO_TEST_CASE(a_second_writer_is_refused_with_the_holders_pid) {
    TempDir t;
    const json cfg = {{"epochs", 3}};
    ex::RunFolder first = ex::RunFolder::open(t.path, "run", cfg);
    try {
        ex::RunFolder::open(t.path, "run", cfg);
        BOOST_FAIL("a second writer must be refused");
    } catch (const ex::UsageError& e) {
        BOOST_TEST(has(e.what(), "is being written by another gramtape process (pid " + std::to_string(::getpid()) + ")"),
                   e.what());
    }
}

BOOST_AUTO_TEST_CASE(progress_json_of_the_wrong_form_names_file_and_key) {
    TempDir t;
    const json cfg = {{"epochs", 3}};
    { ex::RunFolder::open(t.path, "run", cfg).save_progress({{"runs", {{"seed0", {{"epoch", 2}}}}}}); }
    const fs::path p = t.path / "run" / "progress.json";
    for (const auto& [bad, key] : std::vector<std::pair<std::string, std::string>>{
             {R"({"runs": {"seed0": {"epoch": "two"}}})", "'runs.seed0.epoch' must be a whole number >= 0"},
             {R"({"runs": [1]})", "'runs' must be an object of runs"},
             {R"({"seconds": -1})", "'seconds' must be a number >= 0"},
             {R"({"complete": "yes"})", "'complete' must be true or false"},
             {R"([1, 2])", "must be a JSON object"}}) {
        std::ofstream(p) << bad;
        std::string msg;
        try {
            ex::RunFolder::open(t.path, "run", cfg);
        } catch (const std::exception& e) {
            msg = e.what();
        }
        BOOST_TEST(has(msg, p.string()), bad << " -> " << msg);
        BOOST_TEST(has(msg, key), bad << " -> " << msg);
    }
}

// ---- the same through the gramtape CLI ------------------------------------------------------------

namespace {

const std::vector<std::string> kFig4Base = {"fig4", "--preset", "smoke", "--epochs", "3", "--threads", "1"};

std::vector<std::string> fig4(const TempDir& t, const std::string& data) {
    std::vector<std::string> a = kFig4Base;
    a.insert(a.end(), {"--out", t.file("runs"), "--data-dir", data});
    return a;
}

/// A fig4 smoke run stopped by the test hook right after epoch 1's checkpoint.
fs::path interrupted_fig4(const TempDir& t, const std::string& data = data_dir()) {
    ::setenv("GT_INTERRUPT_AFTER_EPOCH", "1", 1);
    const Done d = run(fig4(t, data), t);
    ::unsetenv("GT_INTERRUPT_AFTER_EPOCH");
    BOOST_TEST_REQUIRE(d.status == 1, d.output);
    const fs::path f = t.path / "runs" / "fig4-smoke-mnist";
    BOOST_TEST_REQUIRE(fs::exists(f / "progress.json"));
    return f;
}

void expect_refusal(const Done& d, const std::vector<std::string>& parts) {
    BOOST_TEST(d.status == 1, d.output);
    for (const auto& p : parts) BOOST_TEST(has(last_line(d.output), p), "expected '" << p << "' in: " << last_line(d.output));
}

}  // namespace

BOOST_AUTO_TEST_CASE(cli_resume_refuses_damaged_state_and_resumes_a_sound_one) {
    TempDir t;
    const fs::path f = interrupted_fig4(t);
    const fs::path state = f / "checkpoints" / "seed0";
    const fs::path slot = slot_of(state);
    // Flipped bit in a weight.
    const std::string w = (slot / "layers.2.weight.npy").string();
    const Bytes good = read_bytes(w);
    Bytes bad = good;
    bad[bad.size() / 2] ^= 1;
    write_bytes(w, bad);
    expect_refusal(run(fig4(t, data_dir()), t), {"layers.2.weight.npy does not match its SHA-256", "start this run over"});
    write_bytes(w, good);
    // A deleted optimizer buffer (fig4's SGD has momentum).
    fs::path buf;
    for (const auto& e : fs::directory_iterator(slot))
        if (e.path().filename().string().rfind("opt.", 0) == 0) buf = e.path();
    BOOST_TEST_REQUIRE(!buf.empty());
    const Bytes keep = read_bytes(buf.string());
    fs::remove(buf);
    expect_refusal(run(fig4(t, data_dir()), t), {buf.filename().string() + " is missing"});
    write_bytes(buf.string(), keep);
    // metrics.csv cut at a line boundary: rows of a checkpointed epoch are gone.
    const std::string csv = text(f / "metrics.csv");
    std::string cut = csv.substr(0, csv.size() - 1);
    cut = cut.substr(0, cut.find_last_of('\n') + 1);
    write_bytes((f / "metrics.csv").string(), Bytes(cut.begin(), cut.end()));
    expect_refusal(run(fig4(t, data_dir()), t), {(f / "metrics.csv").string(), "rows were lost or added"});
    write_bytes((f / "metrics.csv").string(), Bytes(csv.begin(), csv.end()));
    // progress.json claiming more than the checkpoint holds.
    const std::string prog = text(f / "progress.json");
    json p = json::parse(prog);
    p["runs"]["seed0"]["epoch"] = 3;
    std::ofstream(f / "progress.json") << p.dump();
    expect_refusal(run(fig4(t, data_dir()), t), {"progress.json: run seed0 finished epoch 3", "holds epoch 1"});
    std::ofstream(f / "progress.json") << prog;
    // Restored: the run resumes and completes.
    const Done ok = run(fig4(t, data_dir()), t);
    BOOST_TEST(ok.status == 0, ok.output);
    BOOST_TEST(fs::exists(f / "summary.json"));
}

BOOST_AUTO_TEST_CASE(cli_resume_on_other_data_is_refused) {
    TempDir t;
    const fs::path f = interrupted_fig4(t);
    // A --data-dir whose mnist/ holds Fashion-MNIST under MNIST's names.
    const fs::path other = t.path / "other-data" / "mnist";
    fs::create_directories(other);
    const fs::path fashion = fs::path(data_dir()) / "fashion-mnist";
    for (const auto& e : fs::directory_iterator(fashion)) {
        std::string name = e.path().filename().string();  // train-images-idx3-ubyte.gz: accepted with .gz
        fs::copy_file(e.path(), other / name);
    }
    const Done d = run(fig4(t, (t.path / "other-data").string()), t);
    expect_refusal(d, {"data 'mnist' under --data-dir", "is not the data this run began with"});
    BOOST_TEST(!fs::exists(f / "summary.json"));
}

BOOST_AUTO_TEST_CASE(cli_second_writer_refused_and_a_killed_writers_lock_taken_over) {
    TempDir t;
    std::vector<std::string> args = kFig4Base;
    args[4] = "40";  // long enough to be caught running
    args.insert(args.end(), {"--out", t.file("runs"), "--data-dir", data_dir()});
    const fs::path f = t.path / "runs" / "fig4-smoke-mnist";
    const Run first = start(args, t.file("first.log"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(f / "progress.json") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    BOOST_TEST_REQUIRE(fs::exists(f / "progress.json"), "the first run never started training");
    const Done second = run(args, t);
    BOOST_TEST(second.status == 2, second.output);
    BOOST_TEST(has(last_line(second.output), "is being written by another gramtape process (pid " +
                                                 std::to_string(first.pid) + ")"),
               second.output);
    ::kill(first.pid, SIGKILL);
    finish(first);
    const Done third = run(args, t);
    BOOST_TEST(third.status == 0, third.output);
    BOOST_TEST(has(third.output, "process " + std::to_string(first.pid) + " stopped while writing it; taking over"),
               third.output);
    BOOST_TEST(fs::exists(f / "summary.json"));
}

BOOST_AUTO_TEST_SUITE_END()
