#include "common/web_config.h"

#include <gtest/gtest.h>

#include "common/basic_auth.h"
#include "common/errors.h"

namespace wgtune {
namespace {

// exporter-toolkit's test users (web/testdata/web_config_users.good.yml): carol's password is
// carol123, dave's dave123.
constexpr const char* kCarolHash = "$2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu";
constexpr const char* kDaveHash = "$2y$10$2UXri9cIDdgeKjBo4Rlpx.U3ZLDV8X1IxKmsfOvhcM5oXQt/mLmXq";

TEST(WebConfigTest, EmptyFileIsPlainHttpWithoutAuthentication) {
  for (const char* text : {"", "# nothing\n", "{}"}) {
    WebConfig config = ParseWebConfig(text, "/etc/wgtune");
    EXPECT_FALSE(config.tls.enabled()) << text;
    EXPECT_TRUE(config.basic_auth_users.empty());
    EXPECT_TRUE(config.headers.empty());
    EXPECT_EQ(config.tls.min_version, 0x0303);  // exporter-toolkit's defaults: TLS 1.2 to 1.3
    EXPECT_EQ(config.tls.max_version, 0x0304);
  }
}

TEST(WebConfigTest, ParsesEveryField) {
  WebConfig config = ParseWebConfig(R"(
tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca/clients.pem
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]
  curve_preferences: [X25519, CurveP256]
  prefer_server_cipher_suites: false
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    Strict-Transport-Security: max-age=31536000
basic_auth_users:
  carol: $2y$10$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu
)",
                                    "/etc/wgtune");
  EXPECT_TRUE(config.tls.enabled());
  EXPECT_EQ(config.tls.cert_file, "/etc/wgtune/server.crt");  // relative to the file's directory
  EXPECT_EQ(config.tls.key_file, "/abs/server.key");
  EXPECT_EQ(config.tls.client_ca_file, "/etc/wgtune/ca/clients.pem");
  EXPECT_EQ(config.tls.client_auth, ClientAuth::kRequireAndVerifyClientCert);
  EXPECT_EQ(config.tls.min_version, 0x0304);
  EXPECT_EQ(config.tls.max_version, 0x0304);
  EXPECT_EQ(config.tls.cipher_suites, std::vector<std::string>{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
  EXPECT_EQ(config.tls.curve_preferences, (std::vector<std::string>{"X25519", "CurveP256"}));
  EXPECT_FALSE(config.tls.prefer_server_cipher_suites);
  EXPECT_FALSE(config.http2);
  ASSERT_EQ(config.headers.size(), 2u);
  EXPECT_EQ(config.headers[0], (std::pair<std::string, std::string>{"X-Frame-Options", "deny"}));
  EXPECT_EQ(config.basic_auth_users.at("carol"), kCarolHash);
}

TEST(WebConfigTest, ClientAuthTypesAndInlinePem) {
  struct Row {
    const char* type;
    ClientAuth want;
  };
  for (const Row& row : {Row{"NoClientCert", ClientAuth::kNoClientCert},
                         Row{"RequestClientCert", ClientAuth::kRequestClientCert},
                         Row{"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
                         Row{"RequireClientCert", ClientAuth::kRequireAnyClientCert},
                         Row{"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
                         Row{"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert}}) {
    std::string text = std::string("tls_server_config:\n  cert: PEM\n  key: PEM\n  client_auth_type: ") + row.type + "\n";
    WebConfig config = ParseWebConfig(text, "");
    EXPECT_EQ(config.tls.client_auth, row.want) << row.type;
    EXPECT_EQ(config.tls.cert, "PEM");
  }
}

TEST(WebConfigTest, RefusesBadInputNamingTheKey) {
  struct Row {
    const char* name;
    const char* text;
    const char* want;  // part of the message
  };
  const Row rows[] = {
      {"not yaml", "tls_server_config: [", "line "},
      {"top level not a mapping", "- a\n", "must be a mapping"},
      {"unknown top-level key", "tls_config: {}\n", "tls_config: unknown key"},
      {"unknown tls key", "tls_server_config:\n  certfile: x\n", "tls_server_config.certfile: unknown key"},
      {"repeated key", "basic_auth_users: {}\nbasic_auth_users: {}\n", "basic_auth_users: given twice"},
      {"cert without key", "tls_server_config:\n  cert_file: c\n", "missing one of key or key_file"},
      {"key without cert", "tls_server_config:\n  key_file: k\n", "missing one of cert or cert_file"},
      {"cert and cert_file", "tls_server_config:\n  cert: a\n  cert_file: b\n  key_file: k\n", "cert and cert_file"},
      {"CA without policy", "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_ca_file: ca\n",
       "without a Client Auth Policy"},
      {"bad client auth", "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: Maybe\n",
       "invalid client_auth_type Maybe"},
      {"bad version", "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS14\n", "unknown TLS version TLS14"},
      {"min above max", "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS13\n  max_version: TLS12\n",
       "min_version is above max_version"},
      {"bad curve", "tls_server_config:\n  curve_preferences: [CurveP999]\n", "unknown curve CurveP999"},
      {"ciphers not a list", "tls_server_config:\n  cipher_suites: TLS_X\n", "must be a list"},
      {"client_allowed_sans", "tls_server_config:\n  client_allowed_sans: [a]\n", "tls_server_config.client_allowed_sans: not supported"},
      {"rate_limit", "rate_limit:\n  interval: 1s\n  burst: 2\n", "rate_limit: not supported"},
      {"header not allowed", "http_server_config:\n  headers:\n    Server: x\n", "headers.Server: this HTTP header"},
      {"header value not allowed", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "expected one of: deny, sameorigin"},
      {"http2 not a bool", "http_server_config:\n  http2: maybe\n", "http2: must be true or false"},
      {"user list", "basic_auth_users:\n  - alice\n", "basic_auth_users: must be a mapping"},
      {"not bcrypt", "basic_auth_users:\n  alice: secret\n", "basic_auth_users.alice: not a bcrypt hash"},
      {"bcrypt cost too low", "basic_auth_users:\n  alice: $2y$03$qRTBuFoULoYNA7AQ/F3ck.trZBPyjV64.oA4ZsSBCIWvXuvQlQTuu\n",
       "not a bcrypt hash"},
      {"md5 crypt", "basic_auth_users:\n  alice: $1$abc$0123456789abcdefghijkl\n", "not a bcrypt hash"},
  };
  for (const Row& row : rows) {
    try {
      ParseWebConfig(row.text, "/etc");
      ADD_FAILURE() << row.name << ": accepted";
    } catch (const ParseError& error) {
      EXPECT_NE(std::string(error.what()).find(row.want), std::string::npos) << row.name << ": " << error.what();
    }
  }
}

TEST(WebConfigTest, ErrorsNeverShowSecrets) {
  try {
    ParseWebConfig("basic_auth_users:\n  alice: hunter2-not-a-hash\n", "");
    FAIL();
  } catch (const ParseError& error) {
    EXPECT_EQ(std::string(error.what()).find("hunter2"), std::string::npos) << error.what();
  }
}

TEST(BasicAuthTest, ParsesTheAuthorizationHeader) {
  auto ok = ParseBasicAuthorization("Basic Y2Fyb2w6Y2Fyb2wxMjM=");  // carol:carol123
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->first, "carol");
  EXPECT_EQ(ok->second, "carol123");
  auto colon = ParseBasicAuthorization("basic YTpiOmM=");  // a:b:c, the password keeps its colon
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->second, "b:c");
  for (const char* bad : {"", "Bearer abc", "Basic", "Basic !!!!", "Basic YWJj" /* abc: no colon */}) {
    EXPECT_FALSE(ParseBasicAuthorization(bad)) << bad;
  }
}

TEST(BasicAuthTest, BcryptThroughLibcrypt) {
  EXPECT_TRUE(BcryptMatches("carol123", kCarolHash));
  EXPECT_FALSE(BcryptMatches("carol124", kCarolHash));
  EXPECT_TRUE(BcryptMatches("dave123", kDaveHash));
  // $2b$ is the same algorithm as $2y$.
  std::string b_hash = std::string(kDaveHash).replace(2, 1, "b");
  EXPECT_TRUE(BcryptMatches("dave123", b_hash));
  EXPECT_FALSE(BcryptMatches("dave123", "not a hash"));
}

TEST(BasicAuthTest, CachesVerifiedCredentials) {
  std::map<std::string, std::string> users = {{"carol", kCarolHash}, {"dave", kDaveHash}};
  BasicAuthCache cache;
  EXPECT_TRUE(cache.Allowed(users, "carol", "carol123"));
  EXPECT_FALSE(cache.Allowed(users, "carol", "dave123"));
  EXPECT_FALSE(cache.Allowed(users, "nobody", "fakepassword"));  // the stand-in hash's own password
  // A cached answer costs no bcrypt: a thousand checks take far less than one cost-10 hash each.
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(cache.Allowed(users, "carol", "carol123"));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
  // A changed hash is a new key: the old answer does not carry over.
  users["carol"] = kDaveHash;
  EXPECT_FALSE(cache.Allowed(users, "carol", "carol123"));
}

}  // namespace
}  // namespace wgtune
