// YamlMapping: the strict reader under the web configuration and the advisor's http_config.
#include "common/yaml_mapping.h"

#include <gtest/gtest.h>
#include <openssl/tls1.h>

#include "common/errors.h"
#include "tests/unit/error_testing.h"

namespace wgtune {
namespace {

YamlMapping Top(const char* text) { return YamlMapping(LoadYaml(text), "", "test keys"); }

TEST(YamlMappingTest, ReadsTypedValuesAndChildren) {
  YamlMapping top = Top("name: a\nflag: yes\nlist: [x, y]\nchild: {min: TLS12, deep: {k: v}}\nempty:\n");
  top.Allow({"name", "flag", "list", "child", "empty", "absent"});
  EXPECT_EQ(top.String("name"), "a");
  EXPECT_EQ(top.String("absent"), "");
  EXPECT_EQ(top.String("empty"), "");
  EXPECT_EQ(top.Bool("flag"), true);
  EXPECT_EQ(top.Bool("absent"), std::nullopt);
  EXPECT_EQ(top.Strings("list"), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(top.Strings("absent").empty());
  EXPECT_FALSE(top.Child("empty"));
  auto child = top.Child("child");
  ASSERT_TRUE(child);
  EXPECT_EQ(child->TlsVersion("min"), TLS1_2_VERSION);
  EXPECT_EQ(child->TlsVersion("max"), std::nullopt);
  EXPECT_EQ(child->Child("deep")->Path("k"), "child.deep.k");
  EXPECT_EQ(top.Keys(), (std::vector<std::string>{"name", "flag", "list", "child", "empty"}));
  EXPECT_TRUE(Top("").Keys().empty());  // an empty document is an empty mapping
}

TEST(YamlMappingTest, RefusesNamingTheKeyPath) {
  struct Row {
    const char* text;
    const char* want;  // the whole message
  };
  const Row rows[] = {
      {"- a\n", "must be a mapping of test keys"},
      {"c: [a]\n", "c: must be a mapping"},
      {"c: {typo: 1}\n", "c.typo: unknown key"},
      {"c: {old: 1}\n", "c.old: not supported by wgtune"},
      {"c: {s: 1}\nc: {s: 2}\n", "c: given twice"},
      {"c: {s: [1]}\n", "c.s: must be a string"},
      {"c: {b: maybe}\n", "c.b: must be true or false"},
      {"c: {l: x}\n", "c.l: must be a list of strings"},
      {"c: {l: [[x]]}\n", "c.l: must be a list of strings"},
      {"c: {v: TLS14}\n", "c.v: unknown TLS version TLS14 (TLS10, TLS11, TLS12, TLS13)"},
      {"c: {v: \"\"}\n", "c.v: unknown TLS version  (TLS10, TLS11, TLS12, TLS13)"},
      {"c: {[a]: 1}\n", "c: keys must be strings"},
  };
  for (const Row& row : rows) {
    std::string error = ErrorOf<ParseError>([&] {
      YamlMapping top = Top(row.text);
      top.Allow({"c"});
      auto c = top.Child("c");
      c->Allow({"s", "b", "l", "v"}, {"old"});
      c->String("s");
      c->Bool("b");
      c->Strings("l");
      c->TlsVersion("v");
    });
    EXPECT_EQ(error, row.want) << row.text;
  }
  EXPECT_EQ(ErrorOf<ParseError>([] { LoadYaml("a: [\n"); }).rfind("line ", 0), 0u);
}

TEST(YamlMappingTest, PathsRelativeToTheFilesDirectory) {
  EXPECT_EQ(ConfigRelativePath("/etc/wgtune", "ca.crt"), "/etc/wgtune/ca.crt");
  EXPECT_EQ(ConfigRelativePath("/etc/wgtune", "/abs/ca.crt"), "/abs/ca.crt");
  EXPECT_EQ(ConfigRelativePath("", "ca.crt"), "ca.crt");
  EXPECT_EQ(ConfigRelativePath("/etc", ""), "");
  EXPECT_EQ(ConfigDirectory("/etc/wgtune/web.yml"), "/etc/wgtune");
  EXPECT_EQ(ConfigDirectory("/web.yml"), "/");
  EXPECT_EQ(ConfigDirectory("web.yml"), "");
  EXPECT_EQ(ConfigDirectory("conf/web.yml"), "conf");
}

}  // namespace
}  // namespace wgtune
