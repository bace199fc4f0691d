#include "common/basic_auth.h"

#include <crypt.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <memory>

namespace wgtune {
namespace {

// exporter-toolkit's stand-in for an unknown user: bcrypt of "fakepassword", cost 10.
constexpr const char* kUnknownUserHash = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

std::optional<std::string> DecodeBase64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (length < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = text.size() >= 2 && text[text.size() - 2] == '=' ? 2 : text.back() == '=' ? 1 : 0;
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

}  // namespace

std::optional<std::pair<std::string, std::string>> ParseBasicAuthorization(std::string_view header) {
  // The scheme is case-insensitive (RFC 7617), as Go's Request.BasicAuth takes it.
  if (header.size() < 6 || strncasecmp(header.data(), "Basic ", 6) != 0) return std::nullopt;
  auto decoded = DecodeBase64(header.substr(6));
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::make_pair(decoded->substr(0, colon), decoded->substr(colon + 1));
}

bool BcryptMatches(const std::string& password, const std::string& hash) {
  auto data = std::make_unique<crypt_data>();  // ~32 KB: not on a worker's stack
  const char* result = crypt_r(password.c_str(), hash.c_str(), data.get());
  if (result == nullptr || result[0] == '*') return false;  // libxcrypt's failure tokens start with '*'
  std::string_view computed(result);
  return computed.size() == hash.size() && CRYPTO_memcmp(computed.data(), hash.data(), hash.size()) == 0;
}

bool BasicAuthCache::Allowed(const std::map<std::string, std::string>& users, const std::string& user,
                             const std::string& password) {
  auto found = users.find(user);
  bool known = found != users.end();
  const std::string hash = known ? found->second : kUnknownUserHash;
  // The key is a digest of the lengths and bytes of all three, so no two triples share one.
  std::array<unsigned char, 32> key{};
  {
    EVP_MD_CTX* digest = EVP_MD_CTX_new();
    EVP_DigestInit_ex(digest, EVP_sha256(), nullptr);
    for (const std::string* part : {&user, &hash, &password}) {
      uint64_t size = part->size();
      EVP_DigestUpdate(digest, &size, sizeof size);
      EVP_DigestUpdate(digest, part->data(), part->size());
    }
    EVP_DigestFinal_ex(digest, key.data(), nullptr);
    EVP_MD_CTX_free(digest);
  }
  {
    std::lock_guard lock(cache_mutex_);
    auto cached = cache_.find(key);
    if (cached != cache_.end()) return cached->second && known;
  }
  bool matches;
  {
    std::lock_guard lock(bcrypt_mutex_);
    matches = BcryptMatches(password, hash);
  }
  bool allowed = known && matches;
  std::lock_guard lock(cache_mutex_);
  // Full: start again rather than track ages; the few real scrapers re-enter at once.
  if (cache_.size() >= kMaxEntries) cache_.clear();
  cache_[key] = allowed;
  return allowed;
}

}  // namespace wgtune
