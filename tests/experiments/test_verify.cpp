// The `verify` driver: every row of a double run satisfies Eq. (1) and Theorem 1's exact form to
// round-off, for MLPs and CNNs; bad flags are refused at the command line, naming the flag.
#include <boost/test/unit_test.hpp>

#include "experiments/verify_command.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::experiments;

BOOST_AUTO_TEST_CASE(verify_rows_hold_to_round_off_in_double) {
    for (VerifyModel model : {VerifyModel::MLP, VerifyModel::CNN})
        for (nn::Activation act : {nn::Activation::GELU, nn::Activation::ReLU, nn::Activation::Tanh})
            for (bool bias : {true, false}) {
                VerifySettings c;
                c.model = model;
                c.activation = act;
                c.bias = bias;
                c.depth = 3;
                c.width = 8;
                c.batch = 5;
                c.seed = 42;
                const auto rows = verify(c);
                BOOST_TEST(rows.size() == 3u);
                const bool cnn = model == VerifyModel::CNN;
                for (const auto& r : rows)
                    BOOST_TEST_CONTEXT((cnn ? "cnn " : "mlp ") << nn::to_string(act) << " bias " << bias << " layer " << r.layer) {
                        BOOST_TEST(r.fl_residual < 1e-12);
                        BOOST_TEST(r.thm1_exact < 1e-12);
                        BOOST_TEST(r.thm1_first > r.thm1_exact);
                        BOOST_TEST(r.lhs_norm > 0.0);
                        BOOST_TEST(r.lhs_norm == r.rhs_norm, boost::test_tools::tolerance(1e-12));
                        BOOST_TEST(r.kind == ((cnn && r.layer < 2) ? "conv" : "linear"));
                    }
            }
}

BOOST_AUTO_TEST_CASE(verify_in_float_holds_to_float_round_off) {
    VerifySettings c;
    c.dtype = VerifyDtype::Float;
    c.depth = 4;
    c.width = 32;
    c.batch = 16;
    for (const auto& r : verify(c)) {
        BOOST_TEST(r.fl_residual < 1e-5);
        BOOST_TEST(r.thm1_exact < 1e-5);
    }
}

BOOST_AUTO_TEST_CASE(verify_table_has_a_header_and_one_line_per_layer) {
    VerifySettings c;
    c.depth = 2;
    c.width = 32;
    c.batch = 16;
    const auto rows = verify(c);
    const std::string table = verify_table(rows);
    BOOST_TEST(std::count(table.begin(), table.end(), '\n') == 3);
    BOOST_TEST(table.find("FL resid") != std::string::npos);
    BOOST_TEST(table.find("Thm1 with R") != std::string::npos);
}

// Eq. (1) and Theorem 1 on every linear map of every encoder layer, the B·T tokens as samples (padded
// keys included in the batch): each map reads its own copy of its input, so the identities hold exactly.
BOOST_AUTO_TEST_CASE(verify_transformer_rows_hold_per_layer_and_map_in_double) {
    VerifySettings c;
    c.model = VerifyModel::Transformer;
    c.depth = 2;
    c.width = 12;
    c.heads = 3;
    c.batch = 3;
    c.seq_len = 6;
    c.seed = 7;
    const auto rows = verify(c);
    BOOST_TEST_REQUIRE(rows.size() == 12u);
    const std::vector<std::string> maps = {"query", "key", "value", "output", "ff1", "ff2"};
    for (std::size_t i = 0; i < rows.size(); ++i)
        BOOST_TEST_CONTEXT("encoder layer " << rows[i].layer << " map " << rows[i].kind) {
            BOOST_TEST(rows[i].layer == i / 6 + 1);
            BOOST_TEST(rows[i].kind == maps[i % 6]);
            BOOST_TEST(rows[i].lhs_norm > 0.0);
            BOOST_TEST(rows[i].fl_residual < 1e-12);
            BOOST_TEST(rows[i].thm1_exact < 1e-12);
            BOOST_TEST(rows[i].thm1_first > rows[i].thm1_exact);
        }
    const auto r = gtt::run("verify --model transformer --depth 2 --width 8 --heads 2 --batch 2");
    BOOST_TEST(r.status == 0, r.output);
    BOOST_TEST(r.output.find("verify: transformer (post-LN, GELU), 2 encoder layers") != std::string::npos, r.output);
    BOOST_TEST(std::count(r.output.begin(), r.output.end(), '\n') == 1 + 1 + 12);
}

BOOST_AUTO_TEST_CASE(verify_rejects_bad_flags_naming_them) {
    const std::pair<const char*, const char*> cases[] = {
        {"--depth 0", "--depth: Value 0 not in range 1 to 64"},
        {"--activation swish", "--activation: swish not in {gelu,relu,tanh,sigmoid}"},
        {"--dtype half", "--dtype: half not in {float,double}"},
        {"--model rnn", "--model: rnn not in {mlp,cnn,transformer}"},
        {"--model transformer --width 10 --heads 3", "--heads 3: must divide --width 10"},
        {"--model transformer --seq-len 2", "--seq-len: Value 2 not in range 3 to 512"},
        {"--lr -0.1", "--lr: Value -0.1 not in range 0"},
        {"--lr 1e5", "--lr 100000: expected a number in (0, 1e4)"},
        {"--batch 0", "--batch: Value 0 not in range 1 to 65536"},
    };
    for (const auto& [args, message] : cases) {
        const auto r = gtt::run(std::string("verify ") + args);
        BOOST_TEST(r.status == 2, args);
        BOOST_TEST(r.output.find(std::string("gramtape: error: ") + message) != std::string::npos, r.output);
    }
}
