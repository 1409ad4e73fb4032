#define BOOST_TEST_MODULE actorhost_client
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <iostream>

namespace actorhost::testing {

namespace {

host_process* current = nullptr;

// One host for every case. Its exit status after SIGTERM is checked in teardown(), where a
// failed check fails the test module: a crash or a sanitizer report at shutdown is a failure.
struct host_fixture {
  void setup() {
    host_ = std::make_unique<host_process>();
    current = host_.get();
  }
  void teardown() {
    current = nullptr;
    const int status = host_->stop();
    BOOST_TEST(status == 0, "the shared actorhost exited with status " << status << " after SIGTERM");
  }
  std::unique_ptr<host_process> host_;
};

std::atomic<int> key_counter{0};

} // namespace

host_process& shared_host() {
  if (current == nullptr) throw std::logic_error("no actorhost is running");
  return *current;
}

std::string fresh_key(std::string_view tag) { return std::string(tag) + "-" + std::to_string(++key_counter); }

BOOST_TEST_GLOBAL_FIXTURE(host_fixture);

} // namespace actorhost::testing
