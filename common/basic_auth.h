// Basic authentication against a web configuration's basic_auth_users (bcrypt hashes), with
// exporter-toolkit's behaviour (web/handler.go): an unknown user is checked against a fixed
// hash so that timing does not tell which users exist; the result of each (user, hash,
// password) triple is cached, so a scraper sending the same credentials every 15 s pays bcrypt
// once, not per scrape; bcrypt runs one at a time (it is the expensive part).
//
// The cache keeps a SHA-256 of the triple, never the password itself. Thread-safe.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace wgtune {

// Decodes an "Authorization: Basic …" header value into user and password; nullopt when it
// is not basic authentication or not valid base64 / user:password.
std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header);

// Whether `password` matches the bcrypt `hash` (crypt_r from libcrypt, which takes $2a$, $2b$
// and $2y$), compared in constant time.
bool BcryptMatches(const std::string& password, const std::string& hash);

class BasicAuthCache {
 public:
  // Whether `user` with `password` is allowed by `users` (user → bcrypt hash).
  bool Allowed(const std::map<std::string, std::string>& users, const std::string& user, const std::string& password);

 private:
  static constexpr size_t kMaxEntries = 100;  // exporter-toolkit's cache size
  std::mutex cache_mutex_;
  std::map<std::array<unsigned char, 32>, bool> cache_;
  std::mutex bcrypt_mutex_;
};

}  // namespace wgtune
