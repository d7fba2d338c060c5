// The `verify` entry point: every row of a double run satisfies Eq. (1) and Theorem 1's exact form to
// round-off, for MLPs and CNNs; bad configurations are rejected naming the field.
#include <boost/test/unit_test.hpp>

#include "analysis/verify.hpp"
#include "helpers.hpp"

using namespace gt;
using namespace gt::analysis;

BOOST_AUTO_TEST_CASE(verify_rows_hold_to_round_off_in_double) {
    for (const char* arch : {"mlp", "cnn"})
        for (const char* act : {"gelu", "relu", "tanh"})
            for (bool bias : {true, false}) {
                VerifyConfig c;
                c.arch = arch;
                c.activation = act;
                c.bias = bias;
                c.depth = 3;
                c.width = 8;
                c.batch = 5;
                c.seed = 42;
                const auto rows = verify(c);
                BOOST_TEST(rows.size() == 3u);
                for (const auto& r : rows)
                    BOOST_TEST_CONTEXT(arch << " " << act << " bias " << bias << " layer " << r.layer) {
                        BOOST_TEST(r.fl_residual < 1e-12);
                        BOOST_TEST(r.thm1_exact < 1e-12);
                        BOOST_TEST(r.thm1_first > r.thm1_exact);
                        BOOST_TEST(r.lhs_norm > 0.0);
                        BOOST_TEST(r.lhs_norm == r.rhs_norm, boost::test_tools::tolerance(1e-12));
                        BOOST_TEST(r.kind == ((std::string(arch) == "cnn" && r.layer < 2) ? "conv" : "linear"));
                    }
            }
}

BOOST_AUTO_TEST_CASE(verify_in_float_holds_to_float_round_off) {
    VerifyConfig c;
    c.dtype = "float";
    c.depth = 4;
    for (const auto& r : verify(c)) {
        BOOST_TEST(r.fl_residual < 1e-5);
        BOOST_TEST(r.thm1_exact < 1e-5);
    }
}

BOOST_AUTO_TEST_CASE(verify_table_has_a_header_and_one_line_per_layer) {
    VerifyConfig c;
    c.depth = 2;
    const auto rows = verify(c);
    const std::string table = verify_table(rows);
    BOOST_TEST(std::count(table.begin(), table.end(), '\n') == 3);
    BOOST_TEST(table.find("FL resid") != std::string::npos);
    BOOST_TEST(table.find("Thm1 with R") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verify_rejects_bad_configurations) {
    using gt::testing::throws_with;
    auto with = [](auto edit) {
        VerifyConfig c;
        edit(c);
        return [c] { verify(c); };
    };
    BOOST_TEST(throws_with<ValueError>(with([](VerifyConfig& c) { c.depth = 0; }), {"verify", "depth", ">= 1", "0"}));
    BOOST_TEST(throws_with<ValueError>(with([](VerifyConfig& c) { c.activation = "swish"; }),
                                       {"activation", "gelu|relu", "'swish'"}));
    BOOST_TEST(throws_with<ValueError>(with([](VerifyConfig& c) { c.dtype = "half"; }), {"dtype", "'half'"}));
    BOOST_TEST(throws_with<ValueError>(with([](VerifyConfig& c) { c.arch = "rnn"; }), {"arch", "mlp or cnn", "'rnn'"}));
    BOOST_TEST(throws_with<ValueError>(with([](VerifyConfig& c) { c.gamma = -0.1; }), {"gamma", "> 0"}));
    BOOST_TEST(throws_with<ValueError>(with([](VerifyConfig& c) { c.batch = 0; }), {"batch"}));
}
