#include "actorhost/http/request.hpp"

#include "actorhost/codec/json.hpp"

#include <stdexcept>
#include <utility>

namespace actorhost::http {

namespace {

// A buffered body served as a one-chunk stream.
class buffered_source final : public body_source {
public:
  explicit buffered_source(std::string body) : body_(std::move(body)) {}
  asio::awaitable<std::optional<std::string>> read() override {
    if (done_) co_return std::nullopt;
    done_ = true;
    if (body_.empty()) co_return std::nullopt;
    co_return std::move(body_);
  }

private:
  std::string body_;
  bool done_ = false;
};

// What was read ahead, then the rest of the live stream.
class prefixed_source final : public body_source {
public:
  prefixed_source(std::string first, std::shared_ptr<body_source> rest) : first_(std::move(first)), rest_(std::move(rest)) {}
  asio::awaitable<std::optional<std::string>> read() override {
    if (!first_.empty()) co_return std::exchange(first_, std::string());
    co_return co_await rest_->read();
  }

private:
  std::string first_;
  std::shared_ptr<body_source> rest_;
};

} // namespace

asio::awaitable<std::string> read_all(body_reader reader, std::size_t limit) {
  std::string all;
  for (;;) {
    auto chunk = co_await reader.read();
    if (!chunk) break;
    if (all.size() + chunk->size() > limit) throw std::length_error("request body over the limit");
    all += *chunk;
  }
  co_return all;
}

body_reader request::body_stream() {
  if (!stream_) stream_ = std::make_shared<buffered_source>(std::move(body_));
  return body_reader(stream_);
}

asio::awaitable<void> settle_body(request& req) {
  const std::size_t limit = req.deferred_body_limit();
  if (limit == 0) co_return;
  req.defer_body(0);
  auto live = req.body_stream();
  std::string gathered;
  for (;;) {
    auto chunk = co_await live.read();
    if (!chunk) {
      req.body() = std::move(gathered);
      req.set_body_stream(nullptr);
      co_return;
    }
    gathered += *chunk;
    if (gathered.size() > limit) break;
  }
  // Longer than a buffered body may be: it stays a stream, beginning with what was read.
  auto rest = req.take_body_stream();
  req.set_body_stream(std::make_shared<prefixed_source>(std::move(gathered), std::move(rest)));
}

rapidjson::Document request::json() const { return codec::parse_json_document(body_); }

} // namespace actorhost::http
