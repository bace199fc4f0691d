// The client configuration file (Prometheus's http_config): every field, the combinations
// Prometheus refuses, strictness, relative paths; and the headers a request gets from it,
// secrets read from their files at that moment.
#include "advisor/sources/http_config.h"

#include <gtest/gtest.h>
#include <openssl/tls1.h>

#include <filesystem>
#include <fstream>

#include "tests/unit/error_testing.h"

namespace wgtune {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

TEST(HttpConfigTest, EmptyIsTheDefault) {
  for (const char* text : {"", "---\n", "# nothing\n"}) {
    HttpClientConfig config = ParseHttpClientConfig(text, "/etc/wgtune/c.yml");
    EXPECT_FALSE(config.HasBasicAuth()) << text;
    EXPECT_FALSE(config.HasAuthorization()) << text;
    EXPECT_TRUE(config.follow_redirects) << text;
    EXPECT_EQ(config.tls.ca_file, "") << text;
    EXPECT_TRUE(RequestHeaders(config).empty()) << text;
  }
}

TEST(HttpConfigTest, ReadsEveryField) {
  HttpClientConfig config = ParseHttpClientConfig(R"(
basic_auth:
  username: advisor
  password_file: secrets/pw
tls_config:
  ca_file: ca.crt
  cert_file: /abs/client.crt
  key_file: client.key
  server_name: prometheus.example
  insecure_skip_verify: false
  min_version: TLS12
  max_version: TLS13
follow_redirects: false
enable_http2: true
http_headers:
  X-Scope-OrgID:
    values: [mesh-a, mesh-b]
    secrets: [hidden]
    files: [org]
)",
                                                  "/etc/wgtune/prometheus.yml");
  ASSERT_TRUE(config.HasBasicAuth());
  EXPECT_EQ(config.basic_auth_username->value, "advisor");
  EXPECT_EQ(config.basic_auth_password.file, "/etc/wgtune/secrets/pw");  // from the file's directory
  EXPECT_EQ(config.tls.ca_file, "/etc/wgtune/ca.crt");
  EXPECT_EQ(config.tls.cert_file, "/abs/client.crt");
  EXPECT_EQ(config.tls.key_file, "/etc/wgtune/client.key");
  EXPECT_EQ(config.tls.server_name, "prometheus.example");
  EXPECT_FALSE(config.tls.insecure_skip_verify);
  EXPECT_EQ(config.tls.min_version, TLS1_2_VERSION);
  EXPECT_EQ(config.tls.max_version, TLS1_3_VERSION);
  EXPECT_FALSE(config.follow_redirects);
  ASSERT_EQ(config.headers.size(), 1u);
  EXPECT_EQ(config.headers[0].name, "X-Scope-OrgID");
  EXPECT_EQ(config.headers[0].values, (std::vector<std::string>{"mesh-a", "mesh-b"}));
  EXPECT_EQ(config.headers[0].secrets, (std::vector<std::string>{"hidden"}));
  EXPECT_EQ(config.headers[0].files, (std::vector<std::string>{"/etc/wgtune/org"}));
}

TEST(HttpConfigTest, AuthorizationAndTheLegacyBearerToken) {
  struct Case {
    const char* text;
    std::string type, credentials, file;
  };
  const Case cases[] = {
      {"authorization: {credentials: abc}\n", "Bearer", "abc", ""},
      {"authorization: {type: ' Token ', credentials_file: /run/t}\n", "Token", "", "/run/t"},
      {"bearer_token: xyz\n", "Bearer", "xyz", ""},
      {"bearer_token_file: t\n", "Bearer", "", "d/t"},
  };
  for (const Case& c : cases) {
    HttpClientConfig config = ParseHttpClientConfig(c.text, "d/c.yml");
    EXPECT_TRUE(config.HasAuthorization()) << c.text;
    EXPECT_EQ(config.authorization_type, c.type) << c.text;
    EXPECT_EQ(config.authorization_credentials.value, c.credentials) << c.text;
    EXPECT_EQ(config.authorization_credentials.file, c.file) << c.text;
  }
  EXPECT_EQ(RequestHeaders(ParseHttpClientConfig("bearer_token: xyz\n", "c.yml")),
            (Headers{{"Authorization", "Bearer xyz"}}));
}

TEST(HttpConfigTest, RefusesWhatPrometheusRefusesAndWhatWgtuneLacks) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"basic_auth: {username: a, password: b, password_file: c}\n",
       "at most one of basic_auth.password & password_file must be configured"},
      {"basic_auth: {username: a, username_file: u}\n", "at most one of basic_auth.username & username_file"},
      {"basic_auth: {username: a}\nbearer_token: t\n",
       "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"},
      {"bearer_token: a\nbearer_token_file: b\n", "at most one of bearer_token & bearer_token_file"},
      {"authorization: {credentials: a}\nbearer_token: t\n",
       "authorization is not compatible with bearer_token & bearer_token_file"},
      {"authorization: {credentials: a, credentials_file: b}\n", "at most one of authorization.credentials"},
      {"authorization: {type: Basic, credentials: a}\n", "authorization type cannot be set to \"basic\""},
      {"authorization: {credentials: a}\nbasic_auth: {username: u}\n", "at most one of basic_auth, oauth2 & authorization"},
      {"tls_config: {cert_file: c}\n", "exactly one of key or key_file must be configured"},
      {"tls_config: {key_file: k}\n", "exactly one of cert or cert_file must be configured"},
      {"tls_config: {min_version: TLS13, max_version: TLS12}\n", "max_version must be greater than or equal"},
      {"tls_config: {min_version: SSL3}\n", "tls_config.min_version: unknown TLS version SSL3"},
      {"tls_config: {insecure_skip_verify: maybe}\n", "tls_config.insecure_skip_verify: must be true or false"},
      {"tls_config: {ca: \"-----BEGIN\"}\n", "tls_config.ca: not supported by wgtune"},
      {"tls_config: {ca_file: a, cafile: b}\n", "tls_config.cafile: unknown key"},
      {"basic_auth: {user: a}\n", "basic_auth.user: unknown key"},
      {"basic_auth: {username: a, password_ref: vault}\n", "basic_auth.password_ref: not supported"},
      {"oauth2: {client_id: a}\n", "oauth2: not supported by wgtune"},
      {"proxy_url: http://proxy:3128\n", "proxy_url: not supported"},
      {"follow_redirect: true\n", "follow_redirect: unknown key"},
      {"follow_redirects: 3\n", "follow_redirects: must be true or false"},
      {"basic_auth: [a, b]\n", "basic_auth: must be a mapping"},
      {"basic_auth: {username: [a]}\n", "basic_auth.username: must be a string"},
      {"- a\n- b\n", "must be a mapping of http_config keys"},
      {"http_headers: {Authorization: {values: [x]}}\n", "setting header \"Authorization\" is not allowed"},
      {"http_headers: {user-agent: {values: [x]}}\n", "setting header \"user-agent\" is not allowed"},
      {"http_headers: {\"X Y\": {values: [x]}}\n", "not a valid header name"},
      {"http_headers: {X-A: {value: [x]}}\n", "http_headers.X-A.value: unknown key"},
      {"http_headers: {X-A: {values: x}}\n", "http_headers.X-A.values: must be a list of strings"},
      {"basic_auth: {username: a\n", "/x/c.yml:"},
      {"tls_config:\n  ca_file: a\n  ca_file: b\n", "tls_config.ca_file: given twice"},
  };
  for (const Case& c : cases) {
    std::string error = ErrorOf<HttpConfigError>([&] { ParseHttpClientConfig(c.text, "/x/c.yml"); });
    EXPECT_TRUE(Contains(error, c.error)) << c.text << " gave: " << error;
    EXPECT_EQ(error.rfind("/x/c.yml:", 0), 0u) << error;  // the file first
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;  // one line
  }
}

class HttpConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("wgtune-http-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name) << content;
    return (dir_ / name).string();
  }
  std::filesystem::path dir_;
};

TEST_F(HttpConfigFilesTest, SecretsAreReadAtEveryRequestAndTrimmed) {
  Write("pw", "first\n");
  const std::string path = Write("c.yml", "basic_auth:\n  username: advisor\n  password_file: pw\n");
  HttpClientConfig config = LoadHttpClientConfigFile(path);
  // "advisor:first" and then "advisor:second", base64: the rotated file counts at once.
  EXPECT_EQ(RequestHeaders(config), (Headers{{"Authorization", "Basic YWR2aXNvcjpmaXJzdA=="}}));
  Write("pw", "  second  \n");
  EXPECT_EQ(RequestHeaders(config), (Headers{{"Authorization", "Basic YWR2aXNvcjpzZWNvbmQ="}}));
  // A password file that disappears: the key and the file named, the old value nowhere.
  std::filesystem::remove(dir_ / "pw");
  std::string error = ErrorOf<HttpConfigError>([&] { RequestHeaders(config); });
  EXPECT_TRUE(Contains(error, "basic_auth.password_file " + (dir_ / "pw").string() + ": No such file")) << error;
  EXPECT_FALSE(Contains(error, "second")) << error;
}

TEST_F(HttpConfigFilesTest, TypedCredentialsAndHeadersFromFiles) {
  Write("token", "s3cr3t\n");
  Write("org", "mesh-c\n");
  HttpClientConfig config = LoadHttpClientConfigFile(
      Write("c.yml", "authorization:\n  type: Token\n  credentials_file: token\n"
                     "http_headers:\n  X-Org:\n    values: [a]\n    secrets: [b]\n    files: [org]\n"));
  EXPECT_EQ(RequestHeaders(config),
            (Headers{{"Authorization", "Token s3cr3t"}, {"X-Org", "a"}, {"X-Org", "b"}, {"X-Org", "mesh-c"}}));
}

TEST_F(HttpConfigFilesTest, LoadingChecksEveryFileNamedOnce) {
  Write("ca.crt", "not read as PEM here, only opened\n");
  EXPECT_NO_THROW(LoadHttpClientConfigFile(Write("ok.yml", "tls_config: {ca_file: ca.crt}\n")));
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"tls_config: {ca_file: missing.crt}\n", "tls_config.ca_file "},
      {"tls_config: {cert_file: ca.crt, key_file: missing.key}\n", "tls_config.key_file "},
      {"bearer_token_file: missing\n", "authorization.credentials_file "},
      {"basic_auth: {username_file: missing}\n", "basic_auth.username_file "},
  };
  for (const Case& c : cases) {
    const std::string path = Write("bad.yml", c.text);
    std::string error = ErrorOf<HttpConfigError>([&] { LoadHttpClientConfigFile(path); });
    EXPECT_EQ(error.rfind(path + ": " + c.error, 0), 0u) << error;
    EXPECT_TRUE(Contains(error, "missing")) << error;
  }
  std::string error = ErrorOf<HttpConfigError>([&] { LoadHttpClientConfigFile((dir_ / "absent.yml").string()); });
  EXPECT_EQ(error, (dir_ / "absent.yml").string() + ": No such file or directory");
}

}  // namespace
}  // namespace wgtune
