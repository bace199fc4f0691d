// An OpenSSL server context built from a web configuration's tls_server_config, with
// exporter-toolkit's meaning of each field (Go's crypto/tls ClientAuthType mapped onto
// OpenSSL's verify modes, Go's cipher and curve names onto OpenSSL's).
//
// Reads the certificate, key and client CA files it names; called again when they change
// (web_settings.h), which is how certificates rotate without a restart. The context is
// immutable once built and shared by every connection that was accepted while it was
// current (SSL_CTX is reference-counted and thread-safe for SSL_new).
#pragma once

#include <openssl/ssl.h>

#include <memory>

#include "common/web_config.h"

namespace wgtune {

using SslContext = std::shared_ptr<SSL_CTX>;

// Throws std::runtime_error naming the file or field that failed ("tls_server_config.cert_file
// /etc/wgtune/cert.pem: no certificate"), with OpenSSL's reason. Never includes key material.
SslContext MakeTlsServerContext(const TlsServerConfig& tls);

}  // namespace wgtune
