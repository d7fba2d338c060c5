// Every op in the registry has a gradient-check test, every covered key is a registered op, and
// docs/ops.md lists every op with the name of a test that covers it.
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "helpers.hpp"

using namespace gt_test;

BOOST_AUTO_TEST_SUITE(registry)

BOOST_AUTO_TEST_CASE(every_registered_op_has_a_gradient_check) {
    std::set<std::string> keys;
    for (const auto& op : gt::op_registry()) {
        BOOST_TEST(keys.insert(op.key).second, "duplicate registry key " << op.key);
        BOOST_TEST(coverage().count(op.key) == 1u, "op '" << op.key << "' has no gradient-check test");
    }
    for (const auto& [key, tests] : coverage())
        BOOST_TEST(keys.count(key) == 1u, "test " << *tests.begin() << " covers '" << key << "', which is not in the registry");
}

BOOST_AUTO_TEST_CASE(docs_table_lists_every_op_and_its_test) {
    const char* root = std::getenv("GT_SOURCE_ROOT");
    BOOST_TEST_REQUIRE(root != nullptr, "GT_SOURCE_ROOT is not set (run through meson test)");
    std::ifstream in(std::string(root) + "/docs/ops.md");
    BOOST_TEST_REQUIRE(in.good(), "cannot read " << root << "/docs/ops.md");
    std::map<std::string, std::string> rows;  // key → the row's text
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("| `", 0) == 0) {
            const auto end = line.find('`', 3);
            rows[line.substr(3, end - 3)] = line;
        }
    for (const auto& op : gt::op_registry()) {
        BOOST_TEST(rows.count(op.key) == 1u, "docs/ops.md has no row for `" << op.key << "`");
        if (!rows.count(op.key) || !coverage().count(op.key)) continue;
        bool named = false;
        for (const auto& test : coverage().at(op.key)) named = named || rows[op.key].find(test) != std::string::npos;
        BOOST_TEST(named, "docs/ops.md row for `" << op.key << "` does not name its test " << *coverage().at(op.key).begin());
    }
    BOOST_TEST(rows.size() == gt::op_registry().size(), "docs/ops.md lists ops that are not in the registry");
}

BOOST_AUTO_TEST_CASE(docs_example_is_the_program_that_runs) {
    // docs/ops.md shows tests/autodiff/readme_example.cpp verbatim; the readme_example test runs it.
    const char* root = std::getenv("GT_SOURCE_ROOT");
    BOOST_TEST_REQUIRE(root != nullptr, "GT_SOURCE_ROOT is not set (run through meson test)");
    auto slurp = [](const std::string& path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    const std::string example = slurp(std::string(root) + "/tests/autodiff/readme_example.cpp");
    BOOST_TEST_REQUIRE(!example.empty());
    BOOST_TEST(slurp(std::string(root) + "/docs/ops.md").find("```cpp\n" + example + "```") != std::string::npos,
               "docs/ops.md does not contain tests/autodiff/readme_example.cpp verbatim");
}

BOOST_AUTO_TEST_SUITE_END()
