// Figure 11: layer-wise Target Linearity of a BERT-style encoder on four text tasks, for the encoder at
// random init, after our masked-LM pre-training (done once, shared by every task), and after each
// fine-tuning epoch. Real text stands in for the paper's GLUE and CoNLL sets (datasets/text.hpp):
// SpamAssassin spam vs ham for SST-2, Brown genres for MNLI, Brown part-of-speech for CoNLL POS and a
// proper-noun/title name tagging for CoNLL NER.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "analysis/agop.hpp"
#include "analysis/covariance_tracking.hpp"
#include "analysis/matrix.hpp"
#include "autodiff/gemm.hpp"
#include "experiments/figure.hpp"
#include "experiments/format.hpp"
#include "experiments/plot.hpp"
#include "experiments/progress.hpp"
#include "experiments/text_encoder.hpp"
#include "experiments/training.hpp"
#include "platform/files.hpp"
#include "platform/sha256.hpp"

namespace gt::experiments {
namespace {

// ---- the paper's numbers (BERT-base, read from its Figure 11; top = its last encoder layer) -------------

struct PaperTask {
    const char* paper_task;
    double init_top, pretrained_top, ep1_top, ep3_top;  // NaN where the plot gives no clear value
};
const double kNone = std::nan("");
const std::map<std::string, PaperTask> kPaper = {{"spam", {"SST-2", 0.24, 0.57, kNone, 0.97}},
                                                 {"genre", {"MNLI", 0.15, 0.27, 0.77, 0.88}},
                                                 {"pos", {"CoNLL POS", 0.40, 0.59, kNone, 0.92}},
                                                 {"ner", {"CoNLL NER", 0.14, 0.58, kNone, 0.93}}};
const char* const kSource = "read from the paper's plot (BERT-base, last layer)";

// ---- settings ------------------------------------------------------------------------------------------

struct Settings {
    std::uint64_t seed;
    std::vector<std::string> tasks;
    std::string vcs_task;  // the task whose fine-tuning also follows Fig. 7's measure ("" = none)
    long epochs, pretrain_epochs;
    std::size_t batch, pretrain_batch, pretrain_sequences, finetune_examples, tl_examples, eval_examples;
    Recipe finetune, pretrain;
    data::TextOptions text;
    nn::EncoderConfig encoder;
};

Settings settings(const RunContext& ctx) {
    Settings st;
    st.seed = static_cast<std::uint64_t>(ctx.get<std::vector<int>>("seeds").at(0));
    st.tasks = ctx.get<std::vector<std::string>>("tasks");
    st.vcs_task = ctx.get<std::string>("vcs_task");
    st.epochs = ctx.get<long>("epochs");
    st.pretrain_epochs = ctx.get<long>("pretrain_epochs");
    st.batch = ctx.get<std::size_t>("batch_size");
    st.pretrain_batch = ctx.get<std::size_t>("pretrain_batch_size");
    st.pretrain_sequences = ctx.get<std::size_t>("pretrain_sequences");
    st.finetune_examples = ctx.get<std::size_t>("finetune_examples");
    st.tl_examples = ctx.get<std::size_t>("tl_examples");
    st.eval_examples = ctx.get<std::size_t>("eval_examples");
    st.finetune = {ctx.get<double>("lr"), ctx.get<double>("weight_decay"), ctx.get<double>("warmup"), ctx.get<double>("clip"), 1};
    st.pretrain = {ctx.get<double>("pretrain_lr"), ctx.get<double>("weight_decay"), ctx.get<double>("warmup"), ctx.get<double>("clip"), 1};
    st.text.max_len = ctx.get<std::size_t>("max_len");
    st.text.min_count = ctx.get<std::size_t>("min_count");
    st.text.max_vocab = ctx.get<std::size_t>("max_vocab");
    st.text.seed = st.seed;
    st.encoder.max_len = st.text.max_len;
    st.encoder.d_model = ctx.get<std::size_t>("d_model");
    st.encoder.heads = ctx.get<std::size_t>("heads");
    st.encoder.layers = ctx.get<std::size_t>("layers");
    st.encoder.d_ff = ctx.get<std::size_t>("d_ff");
    st.encoder.dropout = ctx.get<double>("dropout");
    return st;
}

/// Streams of the per-epoch random draws (text_encoder.hpp epoch_order / epoch_rng).
enum Stream : std::uint64_t { kPretrainOrder = 1, kPretrainDraws, kTlSample, kEvalSample, kFinetuneOrder = 100, kFinetuneDraws = 200 };

/// The first min(n, limit) indices of a seeded permutation of n (limit 0 = all).
std::vector<std::size_t> sample(std::size_t n, std::size_t limit, std::uint64_t seed, std::uint64_t stream) {
    std::vector<std::size_t> o = epoch_order(n, seed, stream, 0);
    if (limit && limit < n) o.resize(limit);
    return o;
}

std::string fingerprint(const std::vector<std::vector<int>>& pre, const std::vector<data::TextTask>& tasks) {
    Sha256 h;
    auto ints = [&h](const std::vector<int>& v) {
        const std::uint64_t n = v.size();
        h.update(&n, sizeof n);
        h.update(v.data(), v.size() * sizeof(int));
    };
    for (const auto& s : pre) ints(s);
    for (const data::TextTask& t : tasks)
        for (const auto* split : {&t.train, &t.test})
            for (const data::TextExample& e : *split) {
                ints(e.ids);
                ints({e.label});
                ints(e.token_labels);
            }
    return h.hex();
}

template <class T>
std::vector<nn::Parameter<T>*> joined(nn::Module<T>& a, nn::Module<T>& b) {
    std::vector<nn::Parameter<T>*> p = a.parameters();
    for (nn::Parameter<T>* q : b.parameters()) p.push_back(q);
    return p;
}

template <class T>
void copy_weights(nn::TransformerEncoder<T>& from, nn::TransformerEncoder<T>& to) {
    const auto src = from.parameters(), dst = to.parameters();
    for (std::size_t i = 0; i < src.size(); ++i) dst[i]->value = src[i]->value;
}

// ---- masked-LM pre-training (run "pretrain"), once for every task ----------------------------------------

template <class T>
void pretrain(RunContext& ctx, const Settings& st, const std::vector<std::vector<int>>& sequences,
              nn::TransformerEncoder<T>& encoder, int vocab_size) {
    const std::string run = "pretrain";
    Rng head_rng(st.seed + 1);
    nn::MaskedLMHead<T> head(encoder.config(), head_rng);
    const auto params = joined<T>(encoder, head);
    const std::vector<std::size_t> pool = sample(sequences.size(), st.pretrain_sequences, st.seed, kPretrainOrder);
    const long spe = static_cast<long>((pool.size() + st.pretrain_batch - 1) / st.pretrain_batch);
    Recipe recipe = st.pretrain;
    recipe.total_steps = std::max(1L, spe * st.pretrain_epochs);
    nn::AdamW<T> opt(params, nn::AdamOptions{recipe.lr, 0.9, 0.999, 1e-8, recipe.weight_decay});
    const long start = start_or_resume<T>(ctx, run, run, params, &opt, nullptr, {});
    Progress prog(fmt::format("fig11 masked-LM pre-training ({} sequences)", pool.size()), spe * st.pretrain_epochs, spe * start);
    Tape<T> tape;
    nn::TokenBatch batch;
    long step = start * spe;
    for (long e = start + 1; e <= st.pretrain_epochs; ++e) {
        std::vector<std::size_t> order = epoch_order(pool.size(), st.seed, kPretrainOrder, e);
        for (std::size_t& i : order) i = pool[i];
        Rng draws = epoch_rng(st.seed, kPretrainDraws, e);
        double loss_sum = 0;
        for (std::size_t s = 0; s < order.size(); s += st.pretrain_batch) {
            make_token_batch(sequences, order, s, std::min(order.size(), s + st.pretrain_batch), batch);
            const nn::MaskedTokens masked =
                nn::mask_tokens(batch, data::Vocabulary::kMask, data::Vocabulary::kFirstWord, vocab_size, 0.15, draws);
            const double loss = recipe_step<T>(tape, opt, recipe, [&](Tape<T>& t) {
                const nn::EncoderOutput<T>& out = encoder.forward(t, batch, &draws);
                return cross_entropy(head.forward(t, out.hidden.back(), masked.positions), masked.labels);
            }, {step_label(ctx.figure, run), e}, step);
            loss_sum += loss;
            prog.tick(e, step, loss);
        }
        ctx.metrics->add(run, e, step, "", "mlm_loss", loss_sum / static_cast<double>(spe));
        finish_epoch<T>(ctx, run, run, params, &opt, nullptr, e);
    }
    prog.finish();
}

// ---- one task: TL at init and pre-trained (epoch 0), then fine-tuning epochs 1 … E ------------------------

template <class T>
void record_tl(RunContext& ctx, const Settings& st, const data::TextTask& task, nn::TransformerEncoder<T>& enc,
               const std::string& metric, long epoch, long step) {
    const std::vector<std::size_t> tl_rows = sample(task.train.size(), st.tl_examples, st.seed, kTlSample);
    const auto stats = layer_statistics<T>(enc, task, task.train, tl_rows, tl_rows.size(), 64);
    // The reference code projects wider features onto their top 256 principal components.
    for (std::size_t l = 0; l < stats.size(); ++l)
        ctx.metrics->add(task.name, epoch, step, static_cast<int>(l + 1), metric, stats[l].target_linearity({}, 256, 256).tl);
}

// ---- beyond the paper: Fig. 7's measure on the encoder during fine-tuning ------------------------------
// For layer 1's query, value and ff1 maps: Σ_t VCS_t (h⁺ = h − γ_t∇_h L with the step's learning rate and
// the map-only input gradient, tokens as samples) against the change of WᵀW from the start of fine-tuning,
// and at the end the loss AGOP Σ ∇_h L ∇_h Lᵀ over the TL sample. AdamW does not step along −γ∇_W L, so
// Theorem 1 does not bind the two here: the numbers say how far the SGD picture carries.

const std::vector<nn::EncoderMap> kTracked = {nn::EncoderMap::Query, nn::EncoderMap::Value, nn::EncoderMap::FeedForward1};

// In float, h⁺h⁺ᵀ − hhᵀ with γ∇h ~ 1e-8·h cancels to 0, so the VCS and the Gram change are formed in double;
// an epoch's VCS is added to the saved sum at the epoch's end (a resumed run adds the same numbers).
template <class T>
struct Fig7Tracker {
    std::vector<nn::Parameter<T>> initial, vcs_sum;  // kept in the run's saved state
    std::vector<analysis::VcsAccumulator<double>> epoch_vcs;
    std::vector<Var<T>> inputs;                      // this step's map inputs

    explicit Fig7Tracker(nn::TransformerEncoder<T>& enc) {
        for (nn::EncoderMap m : kTracked) {
            const Tensor<T>& w = enc.map(0, m).weight.value;
            const std::string name = nn::encoder_map_names()[static_cast<std::size_t>(m)];
            initial.emplace_back("fig7.initial." + name, w);
            vcs_sum.emplace_back("fig7.vcs_sum." + name, Tensor<T>(xt::zeros<T>({w.shape()[1], w.shape()[1]})));
        }
        start_epoch();
    }
    void start_epoch() {
        epoch_vcs.clear();
        for (const auto& v : vcs_sum) epoch_vcs.emplace_back(v.value.shape()[0]);
    }
    Tensor<double> gram_change(nn::TransformerEncoder<T>& enc, std::size_t i) const {
        const Tensor<double> w0 = xt::cast<double>(initial[i].value);
        const Tensor<double> w = xt::cast<double>(enc.map(0, kTracked[i]).weight.value);
        return analysis::GramChange<double>(w0).change(w);
    }
    void add_state(std::vector<nn::Parameter<T>*>& params) {
        for (auto* v : {&initial, &vcs_sum})
            for (nn::Parameter<T>& p : *v) params.push_back(&p);
    }
    void see(const nn::EncoderOutput<T>& out) {
        inputs.clear();
        for (nn::EncoderMap m : kTracked) inputs.push_back(out.map_inputs[0][static_cast<std::size_t>(m)]);
    }
    void add_step(Tape<T>& t, double lr) {
        for (std::size_t i = 0; i < kTracked.size(); ++i)
            epoch_vcs[i].add(xt::cast<double>(token_rows(t.value(inputs[i]))), xt::cast<double>(token_rows(t.grad(inputs[i]))), lr);
    }
    void record(RunContext& ctx, nn::TransformerEncoder<T>& enc, const std::string& run, long epoch, long step) {
        for (std::size_t i = 0; i < kTracked.size(); ++i) {
            vcs_sum[i].value += xt::cast<T>(epoch_vcs[i].total());
            const Tensor<double> dg = gram_change(enc, i), vsum = xt::cast<double>(vcs_sum[i].value);
            const std::string layer = nn::encoder_map_names()[static_cast<std::size_t>(kTracked[i])];
            ctx.metrics->add(run, epoch, step, layer, "rho_vcs_gram_change", analysis::diagonal_pearson(vsum, dg));
            ctx.metrics->add(run, epoch, step, layer, "rel_residual_gram_change_vs_vcs", analysis::relative_residual(vsum, dg, "fig11"));
        }
        start_epoch();
    }
};

/// The loss AGOP at the tracked maps' inputs (tokens as samples) over the TL sample, against the Gram change.
template <class T, class Head>
void record_agop(RunContext& ctx, const Settings& st, const data::TextTask& task, nn::TransformerEncoder<T>& enc, Head& head,
                 const Fig7Tracker<T>& tr, long epoch, long step) {
    const std::vector<std::size_t> rows = sample(task.train.size(), st.tl_examples, st.seed, kTlSample);
    std::vector<Tensor<double>> agop;
    for (const auto& v : tr.vcs_sum) agop.push_back(xt::zeros<double>(v.value.shape()));
    enc.eval();
    head.eval();
    Tape<T> tape;
    TextBatch b;
    for (std::size_t s = 0; s < rows.size(); s += 64) {
        make_text_batch(task.train, rows, s, std::min(rows.size(), s + 64), task.token_level, b);
        tape.reset();
        const nn::EncoderOutput<T>& out = enc.forward(tape, b.tokens, nullptr, true);
        tape.backward(cross_entropy(head.forward(tape, out.hidden.back()), b.labels));
        for (std::size_t i = 0; i < kTracked.size(); ++i) {
            const Tensor<double> g = xt::cast<double>(token_rows(tape.grad(out.map_inputs[0][static_cast<std::size_t>(kTracked[i])])));
            gemm<double>(g, true, g, false, agop[i], 1.0, 1.0, "fig11 AGOP");
        }
    }
    for (auto* p : enc.parameters()) p->zero_grad();
    for (auto* p : head.parameters()) p->zero_grad();
    enc.train();
    head.train();
    for (std::size_t i = 0; i < kTracked.size(); ++i) {
        const Tensor<double> dg = tr.gram_change(enc, i);
        ctx.metrics->add(task.name, epoch, step, nn::encoder_map_names()[static_cast<std::size_t>(kTracked[i])],
                         "rho_agop_gram_change", analysis::diagonal_pearson(agop[i], dg));
    }
}

template <class T, class Head>
void finetune(RunContext& ctx, const Settings& st, const data::TextTask& task, std::size_t task_index,
              nn::TransformerEncoder<T>& initial, nn::TransformerEncoder<T>& pretrained, Progress& prog) {
    const std::string& run = task.name;
    Rng rng(st.seed);
    nn::TransformerEncoder<T> enc(st.encoder, rng);
    copy_weights(pretrained, enc);
    Rng head_rng(st.seed * 1000 + 11 + task_index);
    Head head(st.encoder, task.classes.size(), head_rng);
    const auto params = joined<T>(enc, head);
    const bool track = task.name == st.vcs_task;
    Fig7Tracker<T> tracker(enc);
    std::vector<nn::Parameter<T>*> state = params;
    if (track) tracker.add_state(state);
    const std::vector<std::size_t> pool = sample(task.train.size(), st.finetune_examples, st.seed, kFinetuneOrder + task_index);
    const std::vector<std::size_t> eval = sample(task.test.size(), st.eval_examples, st.seed, kEvalSample);
    const long spe = static_cast<long>((pool.size() + st.batch - 1) / st.batch);
    Recipe recipe = st.finetune;
    recipe.total_steps = std::max(1L, spe * st.epochs);
    nn::AdamW<T> opt(params, nn::AdamOptions{recipe.lr, 0.9, 0.999, 1e-8, recipe.weight_decay});
    const long start = start_or_resume<T>(ctx, run, run, state, &opt, nullptr, [&] {
        record_tl(ctx, st, task, initial, "tl_init", 0, 0);
        record_tl(ctx, st, task, enc, "tl", 0, 0);
        ctx.metrics->add(run, 0, 0, "", "test_acc", text_accuracy(enc, head, task, task.test, eval, eval.size(), 64));
        ctx.metrics->flush();
    });
    Tape<T> tape;
    TextBatch batch;
    long step = start * spe;
    for (long e = start + 1; e <= st.epochs; ++e) {
        std::vector<std::size_t> order = epoch_order(pool.size(), st.seed, kFinetuneOrder + task_index, e);
        for (std::size_t& i : order) i = pool[i];
        Rng draws = epoch_rng(st.seed, kFinetuneDraws + task_index, e);
        double loss_sum = 0;
        for (std::size_t s = 0; s < order.size(); s += st.batch) {
            make_text_batch(task.train, order, s, std::min(order.size(), s + st.batch), task.token_level, batch);
            const double loss = recipe_step<T>(tape, opt, recipe, [&](Tape<T>& t) {
                const nn::EncoderOutput<T>& out = enc.forward(t, batch.tokens, &draws, track);
                if (track) tracker.see(out);
                return cross_entropy(head.forward(t, out.hidden.back(), &draws), batch.labels);
            }, {step_label(ctx.figure, run), e}, step, track ? std::function<void(Tape<T>&)>([&](Tape<T>& t) {
                tracker.add_step(t, opt.lr());
            }) : std::function<void(Tape<T>&)>());
            loss_sum += loss;
            prog.tick(e, step, loss);
        }
        ctx.metrics->add(run, e, step, "", "train_loss", loss_sum / static_cast<double>(spe));
        record_tl(ctx, st, task, enc, "tl", e, step);
        ctx.metrics->add(run, e, step, "", "test_acc", text_accuracy(enc, head, task, task.test, eval, eval.size(), 64));
        if (track) tracker.record(ctx, enc, run, e, step);
        if (track && e == st.epochs) record_agop(ctx, st, task, enc, head, tracker, e, step);
        finish_epoch<T>(ctx, run, run, state, &opt, nullptr, e);
    }
}

// ---- measure: tl[task][stage][layer], stage 0 = init, 1 = pre-trained, 1 + e = fine-tuned epoch e -------

struct Curves {
    Tensor<double> tl;   // tasks × (2 + epochs) × layers
    Tensor<double> acc;  // tasks × (1 + epochs): test accuracy, pre-trained encoder with an untrained head at 0
};

Curves curves(RunContext& ctx, const Settings& st) {
    const std::size_t nt = st.tasks.size(), ns = 2 + static_cast<std::size_t>(st.epochs), nl = st.encoder.layers;
    Curves c{xt::zeros<double>({nt, ns, nl}), xt::zeros<double>({nt, ns - 1})};
    for (std::size_t t = 0; t < nt; ++t) {
        for (std::size_t l = 0; l < nl; ++l) {
            const std::string layer = std::to_string(l + 1);
            c.tl(t, 0, l) = ctx.metrics->last(st.tasks[t], "tl_init", layer);
            for (const auto& [e, v] : ctx.metrics->series(st.tasks[t], "tl", layer))
                if (e >= 0 && e <= st.epochs) c.tl(t, 1 + static_cast<std::size_t>(e), l) = v;
        }
        for (const auto& [e, v] : ctx.metrics->series(st.tasks[t], "test_acc"))
            if (e >= 0 && e <= st.epochs) c.acc(t, static_cast<std::size_t>(e)) = v;
    }
    save_npy(ctx.folder->file("tl.npy"), c.tl);
    save_npy(ctx.folder->file("test_accuracy.npy"), c.acc);
    return c;
}

std::string stage_name(std::size_t s) { return s == 0 ? "random init" : s == 1 ? "pre-trained" : fmt::format("fine-tuned epoch {}", s - 1); }

void plot_curves(RunContext& ctx, const Settings& st, const std::vector<data::TextTask>& tasks, const Curves& c) {
    const std::size_t ns = c.tl.shape()[1], nl = c.tl.shape()[2];
    std::vector<std::string> cols = {"layer"};
    for (std::size_t s = 0; s < ns; ++s) cols.push_back(s == 0 ? "init" : s == 1 ? "pretrained" : fmt::format("ft_ep{}", s - 1));
    DatFile dat(cols);
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        dat.block(tasks[t].name);
        for (std::size_t l = 0; l < nl; ++l) {
            std::vector<double> r = {double(l + 1)};
            for (std::size_t s = 0; s < ns; ++s) r.push_back(c.tl(t, s, l));
            dat.row(r);
        }
    }
    dat.save(ctx.folder->file("fig11_transformer.dat"));
    const PanelGrid grid(tasks.size(), 2);
    std::string body = grid.begin(fmt::format("Fig. 11: Target Linearity per encoder layer ({} layers x {}), before and after "
                                              "pre-training and fine-tuning", nl, st.encoder.d_model)) +
                       fmt::format("set xlabel \"encoder layer\"\nset ylabel \"TL\"\nset xrange [0.8:{}]\nset xtics 1\n"
                                   "set yrange [0:1.3]\nset ytics 0,0.2,1\nset grid\n"
                                   "set key at graph 0.03,0.985 left top Left reverse maxrows 3 samplen 2 width -4 font \",8\"\n", double(nl) + 0.2);
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const auto it = kPaper.find(tasks[t].name);
        body += fmt::format("set title {}\nplot", gp_quote(fmt::format("{} (for {})", tasks[t].name, it == kPaper.end() ? "—" : it->second.paper_task)));
        for (std::size_t s = 0; s < ns; ++s)
            body += fmt::format("{} \"fig11_transformer.dat\" index {} using 1:{} with linespoints lw 2 {} title {}", s ? "," : "", t, s + 2,
                                s == 0 ? "dt 3 lc rgb \"#777777\"" : s == 1 ? "dt 2 lc rgb \"#cc6600\"" : "", gp_quote(stage_name(s)));
        body += "\n";
    }
    plot(ctx, grid.spec("fig11", body));
}

// ---- summarise: ours next to the paper's, and the claims -------------------------------------------------

Summary summarise(const RunContext& ctx, const Settings& st, const std::vector<data::TextTask>& tasks, const Curves& c,
                  std::size_t vocab_size, std::size_t pretrain_pool) {
    const std::size_t ns = c.tl.shape()[1], nl = c.tl.shape()[2], top = nl - 1, last = ns - 1;
    Summary s;
    s.images = {"fig11.png"};
    s.setup = fmt::format(
        "BERT-style post-LN encoder, {} layers, d_model {}, {} heads, feed-forward {}, GELU, max length {} ([CLS] first), "
        "word vocabulary of {} ids from the training split (min count {}); dropout {}. Pre-training: masked LM (15 %: 80 % [MASK], "
        "10 % random, 10 % kept) on {} training sequences of Brown + SpamAssassin text, {} epochs, batch {}, AdamW lr {} "
        "(weight decay {}, {} % linear warmup then linear decay, clip {}). Fine-tuning per task from the pre-trained weights with a "
        "fresh head: {} epochs, batch {}, AdamW lr {}, same schedule and clip, on {} training examples. TL as the reference code: "
        "{} random training examples, the [CLS] state (sequence tasks) or every labelled word (token tasks), centred one-hot Y, "
        "λ = 0, PCA to 256 dims only when wider, per encoder layer (the embedding output is not shown). dtype {}, seed {}.",
        nl, st.encoder.d_model, st.encoder.heads, st.encoder.d_ff, st.text.max_len, vocab_size, st.text.min_count, st.encoder.dropout,
        pretrain_pool, st.pretrain_epochs, st.pretrain_batch, st.pretrain.lr, st.pretrain.weight_decay, st.pretrain.warmup * 100, st.pretrain.clip,
        st.epochs, st.batch, st.finetune.lr, st.finetune_examples ? fmt::format("at most {}", st.finetune_examples) : std::string("all"),
        st.tl_examples, ctx.config.value("dtype", "float"), st.seed);
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        const auto it = kPaper.find(tasks[t].name);
        const bool have = it != kPaper.end();
        auto paper = [&](double v) { return have && std::isfinite(v) ? fmt_num(v, 2) : std::string("—"); };
        const std::string src = have ? kSource : "not in the paper";
        const std::string who = fmt::format("{} (for {}): top-layer TL", tasks[t].name, have ? it->second.paper_task : "—");
        s.rows.push_back({who + ", random init", fmt_num(c.tl(t, 0, top), 3), paper(have ? it->second.init_top : kNone), src});
        s.rows.push_back({who + ", pre-trained", fmt_num(c.tl(t, 1, top), 3), paper(have ? it->second.pretrained_top : kNone), src});
        if (ns > 2) s.rows.push_back({who + ", fine-tuned epoch 1", fmt_num(c.tl(t, 2, top), 3), paper(have ? it->second.ep1_top : kNone), src});
        if (ns > 2)
            s.rows.push_back({who + fmt::format(", fine-tuned epoch {}", last - 1), fmt_num(c.tl(t, last, top), 3),
                              last - 1 == 3 ? paper(have ? it->second.ep3_top : kNone) : std::string("—"), src});
        s.rows.push_back({fmt::format("{}: test accuracy after fine-tuning epoch {}", tasks[t].name, last - 1),
                          fmt_num(c.acc(t, c.acc.shape()[1] - 1), 3), "—", "not in the paper"});
    }

    // Beyond the paper: Fig. 7's measure on the tracked task, at its last epoch.
    if (!st.vcs_task.empty() && std::find(st.tasks.begin(), st.tasks.end(), st.vcs_task) != st.tasks.end() && ns > 2)
        for (nn::EncoderMap m : kTracked) {
            const std::string map = nn::encoder_map_names()[static_cast<std::size_t>(m)];
            const auto rho = [&](const char* metric) { return ctx.metrics->last(st.vcs_task, metric, map); };
            s.rows.push_back({fmt::format("{}: layer-1 {}: ρ(diag ΣVCS, diag ΔWᵀW) / ρ(diag AGOP, diag ΔWᵀW) / ‖ΔWᵀW − ΣVCS‖/‖ΔWᵀW‖ "
                                          "over fine-tuning", st.vcs_task, map),
                              fmt_num(rho("rho_vcs_gram_change"), 3) + " / " + fmt_num(rho("rho_agop_gram_change"), 3) + " / " +
                                  fmt_num(rho("rel_residual_gram_change_vs_vcs"), 3),
                              "—", "beyond the paper: Fig. 7's measure on the encoder (AdamW, so Theorem 1 does not bind)"});
        }
    // Claim 1: pre-trained TL above random init at most layers, per task; the gap largest on a token task.
    bool above_all = true;
    std::string detail;
    double best_gap = -1e9;
    std::string best_task;
    bool best_token = false;
    for (std::size_t t = 0; t < tasks.size(); ++t) {
        std::size_t above = 0;
        double gap = 0;
        for (std::size_t l = 0; l < nl; ++l) {
            above += c.tl(t, 1, l) > c.tl(t, 0, l);
            gap += (c.tl(t, 1, l) - c.tl(t, 0, l)) / double(nl);
        }
        above_all = above_all && 2 * above > nl;
        detail += fmt::format("{}{}: {}/{} layers, mean gap {:+.3f}", t ? "; " : "", tasks[t].name, above, nl, gap);
        if (gap > best_gap) best_gap = gap, best_task = tasks[t].name, best_token = tasks[t].token_level;
    }
    s.claims.push_back({"Pre-trained TL is above random-init TL at most layers, for every task", above_all, detail});
    s.claims.push_back({"The pre-training gap (mean over layers) is largest on a token-level task", best_token,
                        fmt::format("largest: {} ({:+.3f})", best_task, best_gap)});
    if (ns > 2) {
        // Claim 2: after fine-tuning TL is near-monotone in depth: no layer more than 0.05 below the one before.
        bool mono = true;
        std::string md;
        for (std::size_t t = 0; t < tasks.size(); ++t) {
            double worst = 0;
            for (std::size_t l = 1; l < nl; ++l) worst = std::max(worst, c.tl(t, last, l - 1) - c.tl(t, last, l));
            mono = mono && worst <= 0.05;
            md += fmt::format("{}{}: largest drop {:.3f}", t ? "; " : "", tasks[t].name, worst);
        }
        s.claims.push_back({fmt::format("After fine-tuning (epoch {}) TL rises with depth: no layer more than 0.05 below the one before", last - 1),
                            mono, md});
        // Claim 3: saturation within one epoch: the top layer after epoch 1 within 0.05 of the last epoch.
        bool sat = true;
        std::string sd;
        for (std::size_t t = 0; t < tasks.size(); ++t) {
            const double d = std::abs(c.tl(t, 2, top) - c.tl(t, last, top));
            sat = sat && d <= 0.05;
            sd += fmt::format("{}{}: |ep1 − ep{}| = {:.3f}", t ? "; " : "", tasks[t].name, last - 1, d);
        }
        s.claims.push_back({fmt::format("The top layer's TL after epoch 1 is within 0.05 of epoch {}", last - 1), sat, sd});
    }
    s.differences.push_back(fmt::format(
        "A {}-layer, {}-wide encoder pre-trained here for {} epochs on {} sentences and e-mails stands in for BERT-base (12 layers × 768, "
        "pre-trained on 3.3 B words); the x-axis has {} layers instead of 12.", nl, st.encoder.d_model, st.pretrain_epochs, pretrain_pool, nl));
    for (const data::TextTask& t : tasks) s.differences.push_back(t.description);
    s.differences.push_back(fmt::format("Fine-tuning lr {} for our model size (the paper: 2e-5 for BERT-base); the word-level vocabulary "
                                        "replaces WordPiece, so every word is one token (the paper labels the first sub-word).", st.finetune.lr));
    note_epochs(s, ctx, st.epochs, 3);
    return s;
}

template <class T>
Summary run_fig11(RunContext& ctx) {
    const Settings st = settings(ctx);
    const data::TextCorpora corpora = data::load_text_corpora(ctx.data_dir(), st.text);
    std::vector<data::TextTask> tasks;
    for (const std::string& name : st.tasks)
        tasks.push_back(name == "spam"    ? data::spam_task(corpora, st.text)
                        : name == "genre" ? data::genre_task(corpora, st.text)
                        : name == "pos"   ? data::pos_task(corpora, st.text)
                                          : data::ner_task(corpora, st.text));
    const std::vector<std::vector<int>> sequences = data::pretraining_sequences(corpora, st.text);
    ctx.folder->check_data_fingerprint("text", fingerprint(sequences, tasks), ctx.data_dir());

    nn::EncoderConfig cfg = st.encoder;
    cfg.vocab_size = corpora.vocab.size();
    Settings s2 = st;
    s2.encoder = cfg;
    Rng rng(st.seed);
    nn::TransformerEncoder<T> initial(cfg, rng);
    Rng rng2(st.seed);
    nn::TransformerEncoder<T> pretrained(cfg, rng2);
    pretrain<T>(ctx, s2, sequences, pretrained, static_cast<int>(cfg.vocab_size));

    long total = 0, done = 0;
    for (const data::TextTask& t : tasks) {
        const long spe = static_cast<long>((std::min(t.train.size(), st.finetune_examples ? st.finetune_examples : t.train.size()) + st.batch - 1) / st.batch);
        total += spe * st.epochs;
        done += spe * epochs_done(ctx, t.name);
    }
    Progress prog("fig11 fine-tuning " + std::to_string(tasks.size()) + " tasks", total, done);
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (tasks[i].token_level)
            finetune<T, nn::TokenClassifier<T>>(ctx, s2, tasks[i], i, initial, pretrained, prog);
        else
            finetune<T, nn::SequenceClassifier<T>>(ctx, s2, tasks[i], i, initial, pretrained, prog);
    }
    prog.finish();
    const Curves c = curves(ctx, s2);
    plot_curves(ctx, s2, tasks, c);
    return summarise(ctx, s2, tasks, c, cfg.vocab_size, sample(sequences.size(), st.pretrain_sequences, st.seed, kPretrainOrder).size());
}

/// The settings the CLI's common ranges (cli.cpp) do not cover.
void check_fig11(const json& c) {
    static const std::vector<std::string> known = {"spam", "genre", "pos", "ner"};
    const auto tasks = c.at("tasks").get<std::vector<std::string>>();
    const auto vcs = c.at("vcs_task").get<std::string>();
    if (!vcs.empty() && std::find(tasks.begin(), tasks.end(), vcs) == tasks.end())
        throw UsageError(fmt::format("config 'vcs_task': '{}' is not one of the tasks run ({}); \"\" turns the measure off", vcs,
                                     c.at("tasks").dump()));
    if (tasks.empty()) throw UsageError("config 'tasks': [] (expected one or more of spam, genre, pos, ner)");
    for (const std::string& t : tasks)
        if (std::find(known.begin(), known.end(), t) == known.end())
            throw UsageError(fmt::format("config 'tasks': '{}' is not a task (expected spam, genre, pos or ner)", t));
    if (c.at("d_model").get<long>() % c.at("heads").get<long>() != 0)
        throw UsageError(fmt::format("config 'heads': {} does not divide d_model {}", c.at("heads").dump(), c.at("d_model").dump()));
    for (const char* k : {"dropout", "warmup"}) {
        const double v = c.at(k).get<double>();
        if (!(v >= 0.0 && v < 1.0)) throw UsageError(fmt::format("config '{}': {} (expected a fraction in [0, 1))", k, v));
    }
    const double clip = c.at("clip").get<double>();
    if (!(clip > 0.0 && std::isfinite(clip))) throw UsageError(fmt::format("config 'clip': {} (expected a positive number)", clip));
    const double wd = c.at("weight_decay").get<double>();
    if (!(wd >= 0.0 && std::isfinite(wd))) throw UsageError(fmt::format("config 'weight_decay': {} (expected a number >= 0)", wd));
}

/// The peak: the corpora as read (≈ 120 MB of strings and ids), three encoders (initial, pre-trained, the
/// one fine-tuned) with gradients and AdamW's two buffers, one batch's tape (per token and layer about
/// 16·d_model + 2·d_ff values and the heads' T attention weights, value and gradient), and per-layer moments.
MemoryEstimate fig11_memory(const json& c) {
    const std::uint64_t b = c.value("dtype", std::string("float")) == "double" ? 8 : 4;
    const std::uint64_t d = c.at("d_model").get<std::uint64_t>(), ff = c.at("d_ff").get<std::uint64_t>(),
                        layers = c.at("layers").get<std::uint64_t>(), len = c.at("max_len").get<std::uint64_t>(),
                        vocab = c.at("max_vocab").get<std::uint64_t>() + 4, heads = c.at("heads").get<std::uint64_t>(),
                        batch = std::max(c.at("batch_size").get<std::uint64_t>(), c.at("pretrain_batch_size").get<std::uint64_t>());
    MemoryEstimate e;
    e.data = std::uint64_t(120) << 20;
    const std::uint64_t weights = (vocab + len) * d + layers * (4 * d * d + 2 * d * ff) + 2 * d * d + d * vocab;
    e.parameters = weights * b * (3 + 4);
    e.activations = batch * len * layers * (16 * d + 2 * ff + 2 * heads * len) * b * 2 + batch * len * vocab * b / 4;
    e.other = layers * d * d * 8 * 4 + (std::uint64_t(64) << 20);
    return e;
}

const FigureSpec kFig11{
    {"fig11", "Target Linearity of a transformer encoder, pre-trained and fine-tuned",
     "per-layer TL of a BERT-style encoder on four text tasks at random init, after masked-LM pre-training and each fine-tuning epoch",
     {"text"},
     {{"smoke", {"text"}}, {"quick", {"text"}}, {"paper", {"text"}}},
     {{"smoke", "~3 s"}, {"quick", "~7 min"}, {"paper", "~3 h (estimated from the quick run's throughput)"}}},
    // paper: the largest encoder that pre-trains here in about three hours (the paper used BERT-base)
    {{"seeds", {0}}, {"tasks", {"spam", "genre", "pos", "ner"}}, {"vcs_task", "pos"}, {"layers", 6}, {"d_model", 256}, {"heads", 4}, {"d_ff", 1024},
     {"max_len", 128}, {"dropout", 0.1}, {"min_count", 2}, {"max_vocab", 20000},
     {"pretrain_epochs", 3}, {"pretrain_sequences", 0}, {"pretrain_batch_size", 32}, {"pretrain_lr", 5e-4},
     {"epochs", 3}, {"batch_size", 32}, {"lr", 1e-4}, {"weight_decay", 0.01}, {"warmup", 0.1}, {"clip", 1.0},
     {"finetune_examples", 10000}, {"tl_examples", 2000}, {"eval_examples", 2000}},
    {{"smoke", {{"layers", 2}, {"d_model", 32}, {"heads", 2}, {"d_ff", 64}, {"max_len", 32}, {"max_vocab", 2000},
                {"pretrain_epochs", 1}, {"pretrain_sequences", 256}, {"epochs", 2}, {"finetune_examples", 128},
                {"tl_examples", 128}, {"eval_examples", 128}}},
     {"quick", {{"layers", 4}, {"d_model", 128}, {"heads", 4}, {"d_ff", 512}, {"max_len", 64}, {"max_vocab", 5000},
                {"pretrain_epochs", 3}, {"pretrain_sequences", 12000}, {"pretrain_lr", 1e-3}, {"lr", 2e-4},
                {"finetune_examples", 2000}}}},
    nullptr,
    check_fig11,
    run_fig11<float>,
    run_fig11<double>,
    fig11_memory,
};
GT_DECLARE_FIGURE(kFig11);

}  // namespace
}  // namespace gt::experiments
