#include "actorhost/http/request.hpp"

#include <stdexcept>

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

rapidjson::Document request::json() const {
  rapidjson::Document doc;
  doc.Parse(body_.data(), body_.size());
  return doc;
}

} // namespace actorhost::http
