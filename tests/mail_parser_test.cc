// tests/mail_parser_test.cc: Postfix, Exim, Sendmail and Exchange parsers: exact field values
// on known lines, and the shared corpus scored against the peers' expected output.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "parser_test_util.h"
#include "parsers/mail.h"
#include "parsers/registry.h"
#include "tests/corpus_util.h"
#include "tests/mail_dns_corpus.h"

namespace kamatama {
namespace {

using test_util::F;

class MailParsers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RegisterMailParsers(&ParserRegistry::Global()); }
};

Event P(const std::string& line, const std::string& source = "") { return corpus::Parse(line, source); }

// ---------------------------------------------------------------- Postfix

TEST_F(MailParsers, PostfixReject) {
  Event ev = P("Jul 12 07:47:48 saturn postfix/smtpd[8738]: NOQUEUE: reject: RCPT from 1-2-3-4-example.com[1.2.3.4]: "
               "554 5.7.1 <smtp@example.com>: Relay access denied; from=<john@example.com> to=<smtp@example.org> "
               "proto=SMTP helo=<198.51.100.17>");
  EXPECT_EQ(F(ev, "event.dataset"), "mail.postfix");
  EXPECT_EQ(F(ev, "event.category"), "email");
  EXPECT_EQ(F(ev, "event.action"), "reject");
  EXPECT_EQ(F(ev, "event.type"), "denied");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "source.ip"), "1.2.3.4");
  EXPECT_EQ(F(ev, "source.domain"), "1-2-3-4-example.com");
  EXPECT_EQ(F(ev, "email.from.address"), "john@example.com");
  EXPECT_EQ(F(ev, "email.to.address"), "smtp@example.org");
  EXPECT_EQ(F(ev, "smtp.response.code"), "554");
  EXPECT_EQ(F(ev, "smtp.response.enhanced_code"), "5.7.1");
  EXPECT_EQ(F(ev, "smtp.response.text"), "<smtp@example.com>: Relay access denied");
  EXPECT_EQ(F(ev, "postfix.smtp_stage"), "RCPT");
  EXPECT_EQ(F(ev, "postfix.helo"), "198.51.100.17");
  EXPECT_EQ(F(ev, "network.protocol"), "smtp");
  EXPECT_EQ(F(ev, "email.local_id"), "<absent>");
  EXPECT_EQ(F(ev, "host.name"), "saturn");
  EXPECT_EQ(F(ev, "message").substr(0, 16), "NOQUEUE: reject:");
}

TEST_F(MailParsers, PostfixQueueIdJoinsTheLinesOfOneMessage) {
  const char* lines[] = {
      "Nov 26 11:59:58 mx postfix/smtpd[100]: 3F1B2C0A12: client=mail.example.org[192.0.2.10]",
      "Nov 26 11:59:58 mx postfix/cleanup[101]: 3F1B2C0A12: message-id=<abc@example.org>",
      "Nov 26 11:59:58 mx postfix/qmgr[102]: 3F1B2C0A12: from=<a@example.org>, size=1234, nrcpt=1 (queue active)",
      "Nov 26 11:59:59 mx postfix/smtp[103]: 3F1B2C0A12: to=<b@example.net>, relay=mx.example.net[198.51.100.7]:25, "
      "delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 7EE668039)",
      "Nov 26 11:59:59 mx postfix/qmgr[102]: 3F1B2C0A12: removed",
  };
  const char* actions[] = {"accepted", "message-id", "queued", "sent", "removed"};
  for (int i = 0; i < 5; ++i) {
    Event ev = P(lines[i]);
    EXPECT_EQ(F(ev, "event.dataset"), "mail.postfix") << lines[i];
    EXPECT_EQ(F(ev, "email.local_id"), "3F1B2C0A12") << lines[i];
    EXPECT_EQ(F(ev, "event.action"), actions[i]) << lines[i];
  }
  Event c = P(lines[0]);
  EXPECT_EQ(F(c, "source.ip"), "192.0.2.10");
  EXPECT_EQ(F(c, "source.domain"), "mail.example.org");
  EXPECT_EQ(F(P(lines[1]), "email.message_id"), "abc@example.org");
  EXPECT_EQ(F(P(lines[2]), "email.from.address"), "a@example.org");
  Event s = P(lines[3]);
  EXPECT_EQ(F(s, "email.to.address"), "b@example.net");
  EXPECT_EQ(F(s, "destination.ip"), "198.51.100.7");
  EXPECT_EQ(F(s, "destination.port"), "25");
  EXPECT_EQ(F(s, "destination.domain"), "mx.example.net");
  EXPECT_EQ(F(s, "source.ip"), "<absent>");
  EXPECT_EQ(F(s, "event.outcome"), "success");
  EXPECT_EQ(F(s, "smtp.response.code"), "250");
  EXPECT_EQ(F(s, "smtp.response.enhanced_code"), "2.0.0");
  EXPECT_EQ(F(s, "smtp.response.text"), "Ok: queued as 7EE668039");
}

TEST_F(MailParsers, PostfixDeferredBouncedConnect) {
  Event d = P("Nov 26 11:00:00 mx postfix/error[5]: 2DC5552A34: to=<user@yahoo.com>, relay=none, delay=63495, "
              "delays=63350/144/0/0, dsn=4.4.2, status=deferred (delivery temporarily suspended: lost connection "
              "with mta7.am0.yahoodns.net[98.136.216.22] while sending RCPT TO)");
  EXPECT_EQ(F(d, "event.action"), "deferred");
  EXPECT_EQ(F(d, "event.outcome"), "failure");
  EXPECT_EQ(F(d, "destination.domain"), "none");
  EXPECT_EQ(F(d, "smtp.response.enhanced_code"), "4.4.2");
  Event b = P("Nov 26 11:00:00 mx postfix/local[5]: 892A0205B6: to=ghdsgfhdslfh@localhost, relay=local, "
              "delay=0.05, delays=0.02/0/0/0.02, dsn=5.1.1, status=bounced (unknown user: \"ghdsgfhdslfh\")");
  EXPECT_EQ(F(b, "event.action"), "bounced");
  EXPECT_EQ(F(b, "email.to.address"), "ghdsgfhdslfh@localhost");
  EXPECT_EQ(F(b, "smtp.response.text"), "unknown user: \"ghdsgfhdslfh\"");
  Event c = P("Nov 26 11:00:00 mx postfix/smtpd[5]: connect from unknown[2001:db8::5]");
  EXPECT_EQ(F(c, "event.action"), "connect");
  EXPECT_EQ(F(c, "source.ip"), "2001:db8::5");
  EXPECT_EQ(F(c, "source.domain"), "<absent>");
  Event x = P("Nov 26 11:00:00 mx postfix/smtpd[5]: disconnect from a.example[192.0.2.1] ehlo=1 quit=1 commands=2");
  EXPECT_EQ(F(x, "event.action"), "disconnect");
  Event sasl = P("May 11 04:02:36 host1 postfix/smtpd[26897]: warning: unknown[192.168.1.1]: SASL LOGIN "
                 "authentication failed: authentication failure");
  EXPECT_EQ(F(sasl, "event.action"), "authentication-failure");
  EXPECT_EQ(F(sasl, "event.category"), "authentication");
  EXPECT_EQ(F(sasl, "source.ip"), "192.168.1.1");
  Event ps = P("Nov 26 11:00:00 mx postfix/postscreen[5]: CONNECT from [61.238.241.86]:53024 to [89.105.204.244]:25");
  EXPECT_EQ(F(ps, "source.port"), "53024");
  EXPECT_EQ(F(ps, "destination.ip"), "89.105.204.244");
  EXPECT_EQ(F(ps, "destination.port"), "25");
}

TEST_F(MailParsers, PostfixOtherProgramAndGarbage) {
  Event ev;
  ev.Set("message", "3F1B2C0A12: to=<b@example.net>, relay=x[1.2.3.4]:25, status=sent (ok)");
  Event copy = ev;
  // Without a postfix program the line is still recognised by its shape...
  EXPECT_TRUE(ParsePostfix(&ev));
  // ...but other text is not, and the event is left alone.
  Event other;
  other.Set("message", "hello world");
  Event before = other;
  EXPECT_FALSE(ParsePostfix(&other));
  EXPECT_EQ(other.fields, before.fields);
  // Any bytes never read past the line.
  for (std::string s : {std::string("x[1.2"), std::string("to=<"), std::string("NOQUEUE: reject: RCPT from x["),
                        std::string("\0\xff[", 3), std::string("relay=[::1]:"), std::string("status=")}) {
    Event e = P("Nov 26 11:00:00 mx postfix/smtp[1]: " + s);
    EXPECT_EQ(F(e, "event.dataset"), "mail.postfix");
    EXPECT_NE(F(e, "event.action"), "<absent>");
  }
}

// ---------------------------------------------------------------- Exim / Sendmail / Exchange

TEST_F(MailParsers, EximMainlog) {
  Event ev = P("2022-06-29 16:07:05 dovecot_login authenticator failed for ppp-1-2-3-4.test.test.co.th "
               "([127.0.0.1]) [1.2.3.4]:51451: 535 Incorrect authentication data (set_id=info@test.com)");
  EXPECT_EQ(F(ev, "event.dataset"), "mail.exim");
  EXPECT_EQ(F(ev, "event.action"), "authentication-failure");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "source.ip"), "1.2.3.4");
  EXPECT_EQ(F(ev, "source.port"), "51451");
  EXPECT_EQ(F(ev, "source.domain"), "ppp-1-2-3-4.test.test.co.th");
  EXPECT_EQ(F(ev, "exim.helo"), "[127.0.0.1]");
  EXPECT_EQ(F(ev, "user.name"), "info@test.com");
  EXPECT_EQ(F(ev, "smtp.response.code"), "535");
  EXPECT_EQ(F(ev, "exim.authenticator"), "dovecot_login");
  EXPECT_EQ(test_util::F(ev, "message").substr(0, 10), "2022-06-29");
  EXPECT_EQ(corpus::Field(ev, "@timestamp"), "2022-06-29T16:07:05.000Z");

  Event r = P("2013-06-10 18:33:32 [10099] H=(yakult.com.tw) [202.132.70.178]:3755 I=[1.2.3.4]:25 "
              "F=menacedsj04@listserv.eurasia.org rejected RCPT dir@ml3.ru: relay not permitted");
  EXPECT_EQ(F(r, "event.action"), "reject");
  EXPECT_EQ(F(r, "source.ip"), "202.132.70.178");
  EXPECT_EQ(F(r, "destination.ip"), "1.2.3.4");
  EXPECT_EQ(F(r, "destination.port"), "25");
  EXPECT_EQ(F(r, "email.from.address"), "menacedsj04@listserv.eurasia.org");
  EXPECT_EQ(F(r, "email.to.address"), "dir@ml3.ru");

  Event d = P("2026-11-26 10:00:00 1ahr79-0006jK-G9 => bob@example.net R=dnslookup T=remote_smtp "
              "H=mx.example.net [198.51.100.9] C=\"250 2.0.0 OK id=abc\"");
  EXPECT_EQ(F(d, "email.local_id"), "1ahr79-0006jK-G9");
  EXPECT_EQ(F(d, "event.action"), "delivered");
  EXPECT_EQ(F(d, "destination.ip"), "198.51.100.9");
  EXPECT_EQ(F(d, "destination.domain"), "mx.example.net");
  EXPECT_EQ(F(d, "source.ip"), "<absent>");
  EXPECT_EQ(F(d, "smtp.response.code"), "250");
}

TEST_F(MailParsers, Sendmail) {
  Event ev = P("Feb 25 03:01:10 kismet sm-acceptingconnections[27713]: s1P819mk027713: ruleset=check_rcpt, "
               "arg1=<asservnew@freemailhost.ru>, relay=128-68-136-133.broadband.corbina.ru [128.68.136.133], "
               "reject=550 5.7.1 <asservnew@freemailhost.ru>... Relaying denied.");
  EXPECT_EQ(F(ev, "event.dataset"), "mail.sendmail");
  EXPECT_EQ(F(ev, "email.local_id"), "s1P819mk027713");
  EXPECT_EQ(F(ev, "event.action"), "reject");
  EXPECT_EQ(F(ev, "source.ip"), "128.68.136.133");
  EXPECT_EQ(F(ev, "smtp.response.code"), "550");
  EXPECT_EQ(F(ev, "sendmail.ruleset"), "check_rcpt");
  Event s = P("Nov 26 10:00:00 mx sendmail[1]: 0AQA00aa012345: to=<b@example.net>, delay=00:00:01, "
              "mailer=esmtp, pri=120, relay=mx.example.net. [198.51.100.9], dsn=2.0.0, stat=Sent (Ok queued)");
  EXPECT_EQ(F(s, "event.action"), "sent");
  EXPECT_EQ(F(s, "destination.ip"), "198.51.100.9");
  EXPECT_EQ(F(s, "email.to.address"), "b@example.net");
}

TEST_F(MailParsers, ExchangeSmtpAndImap) {
  Event s = P("2022-07-20T21:12:06.270Z,EXCHANGE-1\\Default Frontend EXCHANGE-1,08DA4F7C11473A60,9,"
              "192.168.9.241:25,192.168.9.212:53722,>,535 5.7.3 Authentication unsuccessful,");
  EXPECT_EQ(F(s, "event.dataset"), "mail.exchange");
  EXPECT_EQ(F(s, "source.ip"), "192.168.9.212");
  EXPECT_EQ(F(s, "source.port"), "53722");
  EXPECT_EQ(F(s, "destination.port"), "25");
  EXPECT_EQ(F(s, "smtp.response.code"), "535");
  EXPECT_EQ(F(s, "event.action"), "authentication-failure");
  EXPECT_EQ(corpus::Field(s, "@timestamp"), "2022-07-20T21:12:06.270Z");
  Event i = P("2022-07-20T21:28:50.530Z,000000000000000E,2,192.168.9.241:143,192.168.9.212:35070,testuser,168,31,"
              "31,authenticate,PLAIN,\"R=\"\"2 NO AUTHENTICATE failed.\"\";Msg=\"\"AuthFailed:LogonDenied\"\"\",");
  EXPECT_EQ(F(i, "user.name"), "testuser");
  EXPECT_EQ(F(i, "network.protocol"), "imap");
  EXPECT_EQ(F(i, "event.action"), "authenticate");
  EXPECT_EQ(F(i, "event.outcome"), "failure");
  EXPECT_EQ(F(i, "exchange.context"), "R=\"2 NO AUTHENTICATE failed.\";Msg=\"AuthFailed:LogonDenied\"");
}

// ---------------------------------------------------------------- corpus

std::string Daemon(const std::string& pattern) {
  // ^%{POSTFIX_SMTPD}$ -> smtpd; helpers that follow a daemon's prefix go to that daemon.
  size_t b = pattern.find("POSTFIX_");
  if (b == std::string::npos) return "smtpd";
  size_t e = pattern.find('}', b);
  std::string d = pattern.substr(b + 8, e - b - 8);
  for (char& c : d) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (d == "tls_features" || d == "command_counter_data") return "smtpd";
  if (d == "delays") return "smtp";
  if (d == "trivial_rewrite") return "trivial-rewrite";
  return d;
}

TEST_F(MailParsers, Corpus) {
  if (corpus::Path("mail").empty()) GTEST_SKIP() << "corpus not beside the checkout";
  std::vector<corpus::CorpusFormat> formats;

  // whyscream: the message after "postfix/<daemon>[pid]: ", wrapped in a syslog header.
  {
    corpus::CorpusFormat f{"mail.postfix whyscream grok"};
    std::string dir = corpus::Path("mail/postfix/whyscream-postfix-grok-tests");
    std::vector<std::string> files;
    for (auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    const std::vector<std::pair<std::string, std::string>> map = {
        {"postfix_queueid", "email.local_id"},          {"postfix_client_ip", "source.ip"},
        {"postfix_client_port", "source.port"},         {"postfix_relay_ip", "destination.ip"},
        {"postfix_relay_port", "destination.port"},     {"postfix_relay_hostname", "destination.domain"},
        {"postfix_status", "event.action"},             {"postfix_status_code", "smtp.response.code"},
        {"postfix_status_code_enhanced", "smtp.response.enhanced_code"},
        {"postfix_from", "email.from.address"},         {"postfix_smtp_stage", "postfix.smtp_stage"},
    };
    for (const auto& path : files) {
      std::string pattern, data;
      std::map<std::string, std::string> res;
      for (const auto& l : corpus::Lines(path)) {
        if (l.rfind("pattern:", 0) == 0) pattern = l.substr(8);
        else if (l.rfind("data:", 0) == 0) data = corpus_md::Unquote(l.substr(5));
        else if (l.rfind("    ", 0) == 0) {
          size_t c = l.find(':');
          res[l.substr(4, c - 4)] = corpus_md::Unquote(l.substr(c + 1));
        }
      }
      Event ev = P("Nov 26 11:00:00 mx postfix/" + Daemon(pattern) + "[123]: " + data);
      f.Classify(ev, "mail.postfix");
      for (const auto& [k, field] : map) {
        auto it = res.find(k);
        if (it == res.end()) continue;
        if (it->second == "NOQUEUE") {
          f.Differs("email.local_id", "NOQUEUE means no queue id: the field is left out");
          continue;
        }
        if (k == "postfix_smtp_stage" && (data.find("lost connection") != std::string::npos ||
                                          data.find("timeout after") != std::string::npos ||
                                          data.find("reject:") != std::string::npos)) {
          f.Expect(ev, field, it->second);
        } else if (k != "postfix_smtp_stage") {
          f.Expect(ev, field, it->second);
        }
      }
      if (res.count("postfix_client_hostname")) {
        if (res["postfix_client_hostname"] == "unknown")
          f.Differs("source.domain", "Postfix's 'unknown' (no reverse DNS) is left out, not stored as a domain");
        else
          f.Expect(ev, "source.domain", res["postfix_client_hostname"]);
      }
      if (res.count("postfix_status_message"))
        f.Differs("smtp.response.text", "kept whole (with the '<data>: ' prefix), not split into status_data/message");
      if (res.count("postfix_keyvalue_data"))
        f.Differs("postfix_keyvalue_data", "the k=v list is split into ECS fields, not kept as one string");
    }
    formats.push_back(f);
  }

  // CrowdSec postfix (7 lines).
  {
    corpus::CorpusFormat f{"mail.postfix crowdsec"};
    auto lines = corpus::Lines(corpus::Path("mail/postfix/crowdsec-postfix-logs.log"));
    auto exp = corpus_md::CrowdsecAsserts(corpus::Path("mail/postfix/crowdsec-postfix-logs.parser.assert"), "s01-parse");
    for (size_t i = 0; i < lines.size(); ++i) {
      Event ev = P(lines[i]);
      f.Classify(ev, "mail.postfix");
      auto& e = exp[static_cast<int>(i)];
      if (e.count("Parsed.remote_addr")) f.Expect(ev, "source.ip", e["Parsed.remote_addr"]);
      if (e.count("Parsed.smtp_basic_status_code")) f.Expect(ev, "smtp.response.code", e["Parsed.smtp_basic_status_code"]);
      if (e.count("Parsed.smtp_enhanced_status_code"))
        f.Expect(ev, "smtp.response.enhanced_code", e["Parsed.smtp_enhanced_status_code"]);
      if (e.count("Parsed.action")) f.Expect(ev, "event.action", e["Parsed.action"]);
      if (e.count("Parsed.command")) {
        if (lines[i].find("reject: ") != std::string::npos) f.Expect(ev, "postfix.smtp_stage", e["Parsed.command"]);
        else f.Differs("Parsed.command", "the text of a non-SMTP command stays in message");
      }
      if (e.count("Parsed.remote_host") && e["Parsed.remote_host"] != "unknown")
        f.Expect(ev, "source.domain", e["Parsed.remote_host"]);
      f.Differs("Parsed.reason", "kept in smtp.response.text with its '<data>: ' prefix");
    }
    formats.push_back(f);
  }

  // fail2ban postfix, exim, sendmail: host and time.
  auto fail2ban = [&](const std::string& name, const std::vector<std::string>& files, const std::string& ds,
                      bool has_year) {
    corpus::CorpusFormat f{name};
    for (const auto& file : files) {
      for (const auto& [line, js] : corpus_md::Fail2banLines(corpus::Path(file))) {
        Event ev = P(line);
        f.Classify(ev, ds);
        std::string host = corpus_md::JsonStr(js, "host");
        if (!host.empty()) {
          bool ip = host.find_first_not_of("0123456789.:abcdefABCDEF") == std::string::npos;
          f.Expect(ev, ip ? "source.ip" : "source.domain", host);
        }
        std::string time = corpus_md::JsonStr(js, "time");
        if (!time.empty()) {
          if (has_year) corpus_md::ExpectTime(&f, ev, time);
          else f.Differs("@timestamp", "yearless syslog: the year comes from the receive time, not fail2ban's 2005");
        }
      }
    }
    formats.push_back(f);
  };
  fail2ban("mail.postfix fail2ban", {"mail/postfix/fail2ban-postfix.log"}, "mail.postfix", false);
  fail2ban("mail.exim fail2ban", {"mail/exim/fail2ban-exim.log"}, "mail.exim", true);
  fail2ban("mail.sendmail fail2ban",
           {"mail/sendmail/fail2ban-sendmail-auth.log", "mail/sendmail/fail2ban-sendmail-reject.log"},
           "mail.sendmail", false);

  // CrowdSec exim.
  {
    corpus::CorpusFormat f{"mail.exim crowdsec"};
    auto lines = corpus::Lines(corpus::Path("mail/exim/crowdsec-exim-logs.log"));
    auto exp = corpus_md::CrowdsecAsserts(corpus::Path("mail/exim/crowdsec-exim-logs.parser.assert"), "s01-parse");
    for (size_t i = 0; i < lines.size(); ++i) {
      Event ev = P(lines[i]);
      f.Classify(ev, "mail.exim");
      auto& e = exp[static_cast<int>(i)];
      if (e.count("Parsed.source_ip")) f.Expect(ev, "source.ip", e["Parsed.source_ip"]);
      if (e.count("Parsed.source_port")) f.Expect(ev, "source.port", e["Parsed.source_port"]);
      if (e.count("Parsed.target_user")) {
        if (lines[i].find("rejected RCPT") != std::string::npos) {
          f.Expect(ev, "email.to.address", e["Parsed.target_user"]);
          f.Differs("user.name", "the recipient of a rejected RCPT is email.to.address, not a user (CrowdSec target_user)");
        } else {
          f.Expect(ev, "user.name", e["Parsed.target_user"]);
        }
      }
      if (e.count("Parsed.source_dns")) f.Expect(ev, "source.domain", e["Parsed.source_dns"]);
      if (e.count("Parsed.date")) corpus_md::ExpectTime(&f, ev, e["Parsed.date"].replace(10, 1, "T"));
    }
    formats.push_back(f);
  }

  // CrowdSec Exchange SMTP / IMAP / POP (one line each).
  {
    corpus::CorpusFormat f{"mail.exchange crowdsec"};
    for (std::string n : {"smtp", "imap", "pop"}) {
      std::string base = "mail/exchange-smtp-protocol/crowdsec-exchange-" + n + "-logs";
      auto lines = corpus::Lines(corpus::Path(base + ".log"));
      auto exp = corpus_md::CrowdsecAsserts(corpus::Path(base + ".parser.assert"), "s01-parse");
      for (size_t i = 0; i < lines.size(); ++i) {
        Event ev = P(lines[i]);
        f.Classify(ev, "mail.exchange");
        auto& e = exp[static_cast<int>(i)];
        const std::pair<const char*, const char*> m[] = {
            {"Parsed.client_ip", "source.ip"},       {"Parsed.client_port", "source.port"},
            {"Parsed.server_ip", "destination.ip"},  {"Parsed.server_port", "destination.port"},
            {"Parsed.username", "user.name"},        {"Parsed.session_id", "exchange.session_id"},
            {"Parsed.smtp_code", "smtp.response.code"}, {"Parsed.sequence_number", "exchange.sequence_number"},
            {"Parsed.command", "exchange.command"},  {"Parsed.connector_id", "exchange.connector_id"},
            {"Parsed.event", "exchange.event"}};
        for (auto [k, field] : m)
          if (e.count(k)) f.Expect(ev, field, e[k]);
        if (e.count("Parsed.parameters")) {
          f.Expect(ev, "exchange.parameters", corpus_md::Unquote(e["Parsed.parameters"]));
          f.Differs("exchange.parameters", "trimmed (CrowdSec keeps the leading space of ' PLAIN')");
        }
        if (e.count("Parsed.date")) f.Expect(ev, "@timestamp", e["Parsed.date"]);
      }
    }
    f.Differs("wazuh-exchange.ini", "HTTPProxy/ECP server logs are IIS-side, not mail protocol logs: not scored");
    formats.push_back(f);
  }
  if (std::getenv("KMT_CORPUS_DEBUG")) {
    for (const auto& f : formats)
      for (const auto& d : f.disagreements) std::printf("  [%s] %s\n", f.name.c_str(), d.c_str());
  }
  corpus::Report(formats);
}

}  // namespace
}  // namespace kamatama
