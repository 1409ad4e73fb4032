#include "actorhost/http/request.hpp"

namespace actorhost::http {

rapidjson::Document request::json() const {
  rapidjson::Document doc;
  doc.Parse(body_.data(), body_.size());
  return doc;
}

} // namespace actorhost::http
