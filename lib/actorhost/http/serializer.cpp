#include "actorhost/http/serializer.hpp"

#include <charconv>
#include <ctime>

namespace actorhost::http {

namespace {

void append_number(std::string& out, std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

bool framing_field(std::string_view name) noexcept {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection");
}

bool bodyless_status(int status) noexcept { return status < 200 || status == 204 || status == 304; }

} // namespace

std::string_view date_cache::now() {
  const std::time_t t = std::time(nullptr);
  if (t != second_) {
    second_ = t;
    std::tm tm{};
    gmtime_r(&t, &tm);
    size_ = std::strftime(text_, sizeof text_, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  }
  return {text_, size_};
}

void serialize_response(std::string& out, const response& r, const head_options& opts) {
  out += "HTTP/1.1 ";
  append_number(out, static_cast<std::uint64_t>(r.status()));
  out.push_back(' ');
  out += reason_phrase(r.status());
  out += "\r\n";
  if (!opts.date.empty()) {
    out += "Date: ";
    out += opts.date;
    out += "\r\n";
  }
  for (const auto& f : r.headers()) {
    if (framing_field(f.name)) continue;
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  const bool no_body = bodyless_status(r.status());
  if (!no_body) {
    if (r.streaming()) {
      if (opts.version_minor >= 1) out += "Transfer-Encoding: chunked\r\n";
    } else {
      out += "Content-Length: ";
      append_number(out, r.body().size());
      out += "\r\n";
    }
  }
  if (r.status() == 101) out += "Connection: Upgrade\r\n";
  else if (opts.close) out += "Connection: close\r\n";
  else if (opts.version_minor == 0) out += "Connection: keep-alive\r\n";
  out += "\r\n";
  if (!no_body && !opts.head_request && !r.streaming() && !opts.omit_body) out += r.body();
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) return;
  char buf[20];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, data.size(), 16);
  out.append(buf, end);
  out += "\r\n";
  out += data;
  out += "\r\n";
}

void append_last_chunk(std::string& out) { out += "0\r\n\r\n"; }

} // namespace actorhost::http
