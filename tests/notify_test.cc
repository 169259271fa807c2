// tests/notify_test.cc
//! The pure parts of notifications (issue 21), each against an oracle outside kamatama where one
//! exists: the webhook signature against `openssl dgst -hmac`, the encoded subject against
//! Python's email.header decoder (over hostile generated text: no header survives it), and the
//! allow-list against cases written by hand from docs/notifications.md.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "server/notify_message.h"
#include "server/notify_targets.h"
#include "tests/harness.h"

namespace {

using namespace kamatama::server;
using kmt_test::Shell;
using kmt_test::ShellQuote;

TEST(NotifySignature, MatchesOpensslHmac) {
  if (Shell("command -v openssl").empty()) GTEST_SKIP() << "openssl is needed as the oracle";
  const std::string dir = kmt_test::TempDir("notify_sig");
  const std::string secret = "kmt-secret-0123456789", ts = "1767261600";
  const std::vector<std::string> bodies = {"{}", "{\"schema\":\"kamatama.notification.v1\",\"x\":\"\\u00e9\"}",
                                           std::string(5000, 'a') + "\n\r\x01 Ünï"};
  for (const std::string& body : bodies) {
    std::ofstream(dir + "/signed", std::ios::binary) << ts << "." << body;
    const std::string out = Shell("openssl dgst -sha256 -hmac " + ShellQuote(secret) + " -r " + ShellQuote(dir + "/signed"));
    ASSERT_GE(out.size(), 64u) << out;
    EXPECT_EQ(WebhookSignature(secret, ts, body), "sha256=" + out.substr(0, 64));
  }
  EXPECT_NE(WebhookSignature(secret, ts, "{}"), WebhookSignature(secret, "1767261601", "{}"));  // the timestamp is signed
  std::filesystem::remove_all(dir);
}

//! Random text with what an attacker would put in a log line: CR, LF, NUL, C1 controls, line
//! separators, header names, encoded-word lookalikes, non-ASCII and invalid UTF-8.
std::string Hostile(std::mt19937& rng) {
  static const std::vector<std::string> parts = {"\r\n", "\n", "\r", std::string(1, '\0'), "\x1b[31m", "\xc2\x85",
                                                 "\xe2\x80\xa8", "Bcc: x@evil.example", "Subject: forged", "=?UTF-8?B?Zm9v?=",
                                                 "Ünïcödé", "日本語", "\xff\xfe", "\xe6\x97", " ", "plain", ":", "\t"};
  std::string s;
  const int n = static_cast<int>(rng() % 40);
  for (int i = 0; i < n; ++i) s += parts[rng() % parts.size()];
  return s;
}

TEST(NotifyHeaders, HostileTextIsOneInertLineThatPythonDecodesBack) {
  if (Shell("command -v python3").empty()) GTEST_SKIP() << "python3 is needed as the oracle";
  std::mt19937 rng(kmt_test::TestSeed());
  const std::string dir = kmt_test::TempDir("notify_headers");
  std::string values, encoded;
  size_t non_ascii = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string v = HeaderText(Hostile(rng), 300);
    const std::string e = EncodeHeaderValue(v);
    for (unsigned char c : v) ASSERT_TRUE(c >= 0x20 && c != 0x7f) << "control left in " << v;
    // Sent: ASCII only, CR LF only as folding (followed by a space), lines of at most 76 + "Subject: ".
    size_t line = 0;
    for (size_t k = 0; k < e.size(); ++k) {
      const unsigned char c = e[k];
      ASSERT_LT(c, 0x80) << e;
      if (c == '\r') {
        ASSERT_TRUE(k + 2 < e.size() && e[k + 1] == '\n' && e[k + 2] == ' ') << e;
        line = 0;
        continue;
      }
      if (c != '\n') ASSERT_LE(++line, 76u) << e;
    }
    non_ascii += e.find("=?UTF-8?B?") != std::string::npos;
    values += v + '\n';
    encoded += e + '\n';
  }
  EXPECT_GT(non_ascii, 50u) << "the generator should give much non-ASCII text";
  std::ofstream(dir + "/encoded", std::ios::binary) << encoded;
  // Python unfolds each header value (the CRLF SP continuations) and decodes the encoded-words.
  const std::string py =
      "import sys\nfrom email.header import decode_header, make_header\n"
      "for v in open(sys.argv[1], 'rb').read().decode().replace('\\r\\n ', ' ').split('\\n')[:-1]:\n"
      "    h = str(make_header(decode_header(v)))\n"
      "    sys.stdout.buffer.write(h.encode() + b'\\n')\n";
  std::ofstream(dir + "/decode.py") << py;
  const std::string decoded = Shell("python3 " + ShellQuote(dir + "/decode.py") + " " + ShellQuote(dir + "/encoded"));
  // decode_header joins adjacent encoded-words without the folding space, as RFC 2047 says.
  EXPECT_EQ(decoded, values);
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

TEST(NotifyHeaders, ControlsBecomeSpacesAndLengthIsCutOnACharacter) {
  EXPECT_EQ(HeaderText(std::string("a\r\nBcc: b\0c", 11), 100), "a Bcc: b c");
  EXPECT_EQ(HeaderText("web\r\n\r\nX", 100), "web X");
  EXPECT_EQ(HeaderText("x\xc2\x85y\xe2\x80\xa8z", 100), "x y z");
  EXPECT_EQ(HeaderText("\xff", 100), "\xef\xbf\xbd");
  EXPECT_EQ(HeaderText("ab\xc3\xa9", 3), "ab");  // é is two bytes: not cut in half
  EXPECT_EQ(EncodeHeaderValue("plain ascii"), "plain ascii");
  EXPECT_EQ(EncodeHeaderValue("=?x"), "=?UTF-8?B?PT94?=");
}

TEST(NotifyAllowList, EntriesAndAddressesAsDocumented) {
  for (const char* ok : {"hooks.example.org", "hooks.example.org:443", "192.0.2.10", "10.1.0.0/16:8443", "[2001:db8::1]:25",
                         "2001:db8::/32", "[fd00::/8]"})
    EXPECT_EQ(CheckAllowEntry(ok), "") << ok;
  for (const char* bad : {"", "http://x", "host:", "host:99999", "10.0.0.0/33", "a b", "*.example.org", "[::1", "host:1:2"})
    EXPECT_NE(CheckAllowEntry(bad), "") << bad;
  const std::vector<std::string> allowed = {"hooks.example.org:443", "10.1.0.0/16:8443", "[::1]:25", "127.0.0.1:9000",
                                            "mail.example.org"};
  // Save-time text: a name entry or a covering address entry, with the port.
  EXPECT_EQ(CheckTargetText("HOOKS.example.org", 443, allowed), "");
  EXPECT_NE(CheckTargetText("hooks.example.org", 80, allowed), "");
  EXPECT_EQ(CheckTargetText("10.1.200.3", 8443, allowed), "");
  EXPECT_NE(CheckTargetText("10.2.0.1", 8443, allowed), "");
  EXPECT_EQ(CheckTargetText("mail.example.org", 2525, allowed), "");  // no port: any
  EXPECT_NE(CheckTargetText("169.254.169.254", 80, allowed), "");
  // Connect time, on the resolved address.
  EXPECT_EQ(CheckTargetAddress("hooks.example.org", "93.184.216.34", 443, allowed), "");  // public, named
  EXPECT_NE(CheckTargetAddress("hooks.example.org", "127.0.0.1", 443, allowed), "");      // rebinding to loopback
  EXPECT_NE(CheckTargetAddress("hooks.example.org", "10.0.0.5", 443, allowed), "");       // private, not covered
  EXPECT_NE(CheckTargetAddress("hooks.example.org", "169.254.169.254", 443, allowed), "");
  EXPECT_NE(CheckTargetAddress("hooks.example.org", "fe80::1", 443, allowed), "");
  EXPECT_EQ(CheckTargetAddress("anything", "10.1.9.9", 8443, allowed), "");  // covered by the network
  EXPECT_NE(CheckTargetAddress("anything", "10.1.9.9", 8444, allowed), "");
  EXPECT_EQ(CheckTargetAddress("localhost", "::1", 25, allowed), "");
  EXPECT_EQ(CheckTargetAddress("localhost", "127.0.0.1", 9000, allowed), "");
  EXPECT_NE(CheckTargetAddress("localhost", "127.0.0.2", 9000, allowed), "");
  EXPECT_NE(CheckTargetAddress("x", "::ffff:127.0.0.2", 9000, allowed), "");  // v4-mapped loopback is loopback
  EXPECT_NE(CheckTargetAddress("other.example.org", "93.184.216.34", 443, allowed), "");  // public, not named
}

TEST(NotifyTargets, UrlsAddressesAndSecrets) {
  auto endpoint = [](const std::string& type, const std::string& url, std::string* host, int* port) {
    NotifyTarget t;
    t.type = type;
    t.url = url;
    return TargetEndpoint(t, host, port);
  };
  std::string host;
  int port = 0;
  ASSERT_TRUE(endpoint("email", "smtp://mail.example.org", &host, &port));
  EXPECT_EQ(host + ":" + std::to_string(port), "mail.example.org:25");
  ASSERT_TRUE(endpoint("email", "smtps://mail.example.org/", &host, &port));
  EXPECT_EQ(port, 465);
  ASSERT_TRUE(endpoint("email", "smtp://[::1]:2525", &host, &port));
  EXPECT_EQ(host + ":" + std::to_string(port), "::1:2525");
  EXPECT_FALSE(endpoint("email", "smtp://mail.example.org/x", &host, &port));
  EXPECT_FALSE(endpoint("email", "http://mail.example.org", &host, &port));
  ASSERT_TRUE(endpoint("webhook", "https://hooks.example.org/a?b=c", &host, &port));
  EXPECT_EQ(port, 443);
  EXPECT_FALSE(endpoint("webhook", "https://u:p@hooks.example.org/", &host, &port));
  EXPECT_FALSE(endpoint("webhook", "http://hooks.example.org/a b", &host, &port));
  EXPECT_FALSE(endpoint("webhook", "gopher://hooks.example.org/", &host, &port));

  // A GET answer PUT back keeps the secret it never showed; a new secret replaces it.
  NotifyTarget old;
  old.name = "h";
  old.type = "webhook";
  old.url = "https://hooks.example.org/";
  old.secret = "0123456789abcdef-old";
  std::string listed = "{\"targets\":[";
  AppendTargetJson(old, false, &listed);
  listed += "]}";
  EXPECT_EQ(listed.find(old.secret), std::string::npos) << listed;
  std::vector<NotifyTarget> parsed;
  ASSERT_TRUE(ParseTargets(listed, {old}, &parsed).ok());
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].secret, old.secret);
  ASSERT_TRUE(ParseTargets("{\"targets\":[{\"name\":\"h\",\"type\":\"webhook\",\"secret\":\"new-secret-0123456\"}]}", {old}, &parsed).ok());
  EXPECT_EQ(parsed[0].secret, "new-secret-0123456");
  EXPECT_FALSE(ParseTargets("{\"targets\":[{\"name\":\"h\"},{\"name\":\"h\"}]}", {}, &parsed).ok());  // names unique
  EXPECT_FALSE(ParseTargets("{\"targets\":[{\"name\":\"h\",\"evil\":1}]}", {}, &parsed).ok());        // unknown key
  // Validation without resolving: the mailbox rules keep headers out of From and To.
  NotifyTarget m;
  m.name = "m";
  m.type = "email";
  m.url = "smtp://mail.example.org";
  m.from = "kamatama@example.org";
  m.to = {"soc@example.org"};
  EXPECT_TRUE(ValidateTarget(m, {"mail.example.org:25"}, false).ok());
  EXPECT_FALSE(ValidateTarget(m, {"mail.example.org:587"}, false).ok());
  for (const char* bad : {"soc@example.org\r\nBcc: x@evil.example", "Soc <soc@example.org>", "a@b@c", "a,b@example.org", "@x"}) {
    m.to = {bad};
    EXPECT_FALSE(ValidateTarget(m, {"mail.example.org"}, false).ok()) << bad;
  }
}

}  // namespace
