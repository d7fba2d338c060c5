#define BOOST_TEST_MODULE autodiff
#include <boost/test/unit_test.hpp>
