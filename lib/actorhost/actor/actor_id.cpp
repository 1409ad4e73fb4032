#include "actorhost/actor/actor_id.hpp"

#include "actorhost/codec/js_json.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace actorhost {

namespace {

// The digest is fetched once: an implicit fetch per call would take OpenSSL's lock each time.
const EVP_MD* sha256() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) throw std::runtime_error("OpenSSL has no SHA256");
  return md;
}

} // namespace

std::string make_actor_id(std::string_view name, std::span<const std::string> key) {
  const std::string json = codec::js_json_name_and_key(name, key);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(json.data(), json.size(), digest, &size, sha256(), nullptr) != 1)
    throw std::runtime_error("SHA256 failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (int i = 0; i < 8; ++i) {
    id[2 * i] = hex[digest[i] >> 4];
    id[2 * i + 1] = hex[digest[i] & 15];
  }
  return id;
}

bool valid_actor_id(std::string_view id) noexcept {
  if (id.size() != 16) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::uint64_t actor_id_hash(std::string_view id) noexcept {
  std::uint64_t h = 0;
  for (char c : id) h = (h << 4) | static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
  return h;
}

} // namespace actorhost
