#define BOOST_TEST_MODULE actorhost
#include <boost/test/unit_test.hpp>
