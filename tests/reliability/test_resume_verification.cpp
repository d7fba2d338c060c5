// (being written)
#include <boost/test/unit_test.hpp>
#include "tests/reliability/cli_helpers.hpp"
