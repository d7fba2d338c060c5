#define BOOST_TEST_MODULE datasets
#include <boost/test/unit_test.hpp>
