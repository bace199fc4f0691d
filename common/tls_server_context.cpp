#include "common/tls_server_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <map>
#include <stdexcept>
#include <string>

#include "common/files.h"

namespace wgtune {
namespace {

[[noreturn]] void Fail(const std::string& what) {
  unsigned long code = ERR_get_error();
  std::string reason = code ? std::string(": ") + ERR_reason_error_string(code) : "";
  ERR_clear_error();
  throw std::runtime_error("tls_server_config." + what + reason);
}

// The PEM text of an inline field or of the file it names, and how to name it in errors.
std::pair<std::string, std::string> Pem(const std::string& inline_text, const std::string& file,
                                        const std::string& field) {
  if (!file.empty()) return {ReadFile(file), field + "_file " + file};
  return {inline_text, field};
}

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
Bio MemoryBio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
}

int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

// Go's cipher suite names are IANA's, which OpenSSL calls the standard names; Go also
// accepts the CHACHA20 suites without their _SHA256 suffix.
std::string OpenSslCipherList(SSL_CTX* context, const std::vector<std::string>& names) {
  std::map<std::string, std::string> known;
  {
    std::unique_ptr<SSL, decltype(&SSL_free)> probe(SSL_new(context), SSL_free);
    SSL_set_cipher_list(probe.get(), "ALL:COMPLEMENTOFALL");
    STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(probe.get());
    for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
      const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(ciphers, i);
      known[SSL_CIPHER_standard_name(cipher)] = SSL_CIPHER_get_name(cipher);
    }
  }
  std::string list;
  for (const std::string& name : names) {
    // TLS 1.3 suites are not configurable in Go either: accepted, and left to the library.
    if (name == "TLS_AES_128_GCM_SHA256" || name == "TLS_AES_256_GCM_SHA384" || name == "TLS_CHACHA20_POLY1305_SHA256") {
      continue;
    }
    auto found = known.find(name);
    if (found == known.end()) found = known.find(name + "_SHA256");
    if (found == known.end()) throw std::runtime_error("tls_server_config.cipher_suites: unknown cipher " + name);
    list += (list.empty() ? "" : ":") + found->second;
  }
  return list;
}

}  // namespace

SslContext MakeTlsServerContext(const TlsServerConfig& tls) {
  SslContext context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!context) Fail("context");
  SSL_CTX* ctx = context.get();
  SSL_CTX_set_min_proto_version(ctx, tls.min_version);
  SSL_CTX_set_max_proto_version(ctx, tls.max_version);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | (tls.prefer_server_cipher_suites ? SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
  SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  static const unsigned char kSessionContext[] = "wgtune";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);

  auto [cert_pem, cert_name] = Pem(tls.cert, tls.cert_file, "cert");
  Bio cert_bio = MemoryBio(cert_pem);
  X509* leaf = PEM_read_bio_X509_AUX(cert_bio.get(), nullptr, nullptr, nullptr);
  if (leaf == nullptr) Fail(cert_name + ": no certificate");
  int used = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (used != 1) Fail(cert_name);
  // The rest of the file is the chain, as Go's X509KeyPair takes it.
  while (X509* chain = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, chain) != 1) {
      X509_free(chain);
      Fail(cert_name + ": chain");
    }
  }
  ERR_clear_error();  // the end of the chain reads as "no start line"

  auto [key_pem, key_name] = Pem(tls.key, tls.key_file, "key");
  Bio key_bio = MemoryBio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  OPENSSL_cleanse(key_pem.data(), key_pem.size());
  if (key == nullptr) Fail(key_name + ": no private key");
  used = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (used != 1) Fail(key_name);
  if (SSL_CTX_check_private_key(ctx) != 1) Fail(key_name + ": does not match the certificate");

  if (!tls.client_ca.empty() || !tls.client_ca_file.empty()) {
    auto [ca_pem, ca_name] = Pem(tls.client_ca, tls.client_ca_file, "client_ca");
    Bio ca_bio = MemoryBio(ca_pem);
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int count = 0;
    while (X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, ca);
      SSL_CTX_add_client_CA(ctx, ca);  // named in the CertificateRequest, as Go does
      X509_free(ca);
      ++count;
    }
    ERR_clear_error();
    if (count == 0) Fail(ca_name + ": no certificate");
  } else {
    // Verifying without a client CA verifies against the system's roots, as Go does.
    SSL_CTX_set_default_verify_paths(ctx);
  }

  switch (tls.client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, AcceptAnyCertificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyCertificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }

  if (!tls.cipher_suites.empty()) {
    std::string list = OpenSslCipherList(ctx, tls.cipher_suites);
    if (!list.empty() && SSL_CTX_set_cipher_list(ctx, list.c_str()) != 1) Fail("cipher_suites");
  }
  if (!tls.curve_preferences.empty()) {
    static const std::map<std::string, std::string> groups = {
        {"CurveP256", "P-256"}, {"CurveP384", "P-384"}, {"CurveP521", "P-521"}, {"X25519", "X25519"}};
    std::string list;
    for (const std::string& curve : tls.curve_preferences) list += (list.empty() ? "" : ":") + groups.at(curve);
    if (SSL_CTX_set1_groups_list(ctx, list.c_str()) != 1) Fail("curve_preferences");
  }
  ERR_clear_error();  // nothing left behind for the next SSL_get_error on this thread
  return context;
}

}  // namespace wgtune
