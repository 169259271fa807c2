// tests/auth_linux_parser_test.cc
//! auth.sshd, auth.sudo, auth.su, auth.pam and auth.radius: exact fields per message form, a
//! declined line leaves the event untouched, and the real corpus (CrowdSec sshd assertions, Wazuh
//! engine system-auth ECS, loghub OpenSSH/Linux/Thunderbird structured CSV, Wazuh FortiAuthenticator
//! rule tests) scored with tests/corpus_util.h.
//!
//! Conventions checked here: event.action ssh_login for every sshd authentication attempt
//! (success or failure), logout / logged-on / logged-off for sessions (the PAM names follow the
//! Elastic system module), sudo and su for privilege changes; user.name is the acting user and
//! user.effective.name the target of sudo/su; an IPv4-mapped IPv6 peer is written as IPv4.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "corpus_util.h"
#include "parser_test_util.h"
#include "parsers/auth_linux.h"
#include "parsers/registry.h"

namespace kamatama {
namespace {

using test_util::F;

void Register() {
  static bool done = [] {
    RegisterLinuxAuthParsers(&ParserRegistry::Global());
    return true;
  }();
  (void)done;
}

//! KMT_CORPUS_VERBOSE=1 prints the first disagreements of every format, not only failing ones.
void Report(const std::vector<corpus::CorpusFormat>& formats) {
  corpus::Report(formats);
  if (std::getenv("KMT_CORPUS_VERBOSE")) {
    for (const auto& f : formats) {
      for (const auto& d : f.disagreements) std::printf("    %s: %s\n", f.name.c_str(), d.c_str());
    }
  }
}

Event P(const std::string& line, const std::string& source = "") {
  Register();
  return corpus::Parse(line, source);
}

// ---------------------------------------------------------------- sshd

TEST(AuthSshd, AcceptedPublickey) {
  Event ev = P("Feb 21 21:54:44 server01 sshd[1001]: Accepted publickey for user01 from 192.168.1.2 port 63673 ssh2: "
               "RSA 39:33:99:e9:a0:dc:f2:33:a3:e5:72:3b:7c:3a:56:84");
  EXPECT_EQ(F(ev, "event.dataset"), "auth.sshd");
  EXPECT_EQ(F(ev, "event.kind"), "event");
  EXPECT_EQ(F(ev, "event.category"), "authentication");
  EXPECT_EQ(F(ev, "event.type"), "start");
  EXPECT_EQ(F(ev, "event.action"), "ssh_login");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "user.name"), "user01");
  EXPECT_EQ(F(ev, "source.ip"), "192.168.1.2");
  EXPECT_EQ(F(ev, "source.port"), "63673");
  EXPECT_EQ(F(ev, "sshd.auth_method"), "publickey");
  EXPECT_EQ(F(ev, "network.protocol"), "ssh2");
  EXPECT_EQ(F(ev, "sshd.key"), "RSA 39:33:99:e9:a0:dc:f2:33:a3:e5:72:3b:7c:3a:56:84");
  EXPECT_EQ(F(ev, "host.name"), "server01");
  EXPECT_EQ(F(ev, "process.pid"), "1001");
  EXPECT_EQ(F(ev, "message").substr(0, 24), "Accepted publickey for u");
}

TEST(AuthSshd, FailedPasswordInvalidUser) {
  Event ev = P("Apr  6 18:51:41 eve sshd[2784424]: Failed password for invalid user root from 192.168.1.2 port 51182 ssh2");
  EXPECT_EQ(F(ev, "event.action"), "ssh_login");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "event.type"), "info");
  EXPECT_EQ(F(ev, "user.name"), "root");
  EXPECT_EQ(F(ev, "sshd.invalid_user"), "true");
  EXPECT_EQ(F(ev, "source.ip"), "192.168.1.2");
  EXPECT_EQ(F(ev, "source.port"), "51182");
  EXPECT_EQ(F(ev, "sshd.auth_method"), "password");
}

TEST(AuthSshd, FailedKeyboardInteractiveAndNone) {
  Event ev = P("Jan  1 00:00:00 h sshd[1]: Failed keyboard-interactive/pam for bob from 2001:db8::7 port 40000 ssh2");
  EXPECT_EQ(F(ev, "sshd.auth_method"), "keyboard-interactive/pam");
  EXPECT_EQ(F(ev, "user.name"), "bob");
  EXPECT_EQ(F(ev, "source.ip"), "2001:db8::7");
  Event none = P("Jan  1 00:00:00 h sshd[1]: Failed none for invalid user 0 from 5.36.59.76 port 42393 ssh2");
  EXPECT_EQ(F(none, "user.name"), "0");
  EXPECT_EQ(F(none, "event.outcome"), "failure");
}

TEST(AuthSshd, InvalidUserWithAndWithoutPort) {
  Event ev = P("Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502");
  EXPECT_EQ(F(ev, "event.action"), "ssh_login");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "user.name"), "pascal");
  EXPECT_EQ(F(ev, "source.ip"), "35.188.49.176");
  EXPECT_EQ(F(ev, "source.port"), "53502");
  Event old = P("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186");
  EXPECT_EQ(F(old, "user.name"), "webmaster");
  EXPECT_EQ(F(old, "source.port"), "<absent>");
}

TEST(AuthSshd, PreauthClosesAndLogout) {
  Event a = P("Dec 22 14:53:37 h sshd[4177]: Connection closed by authenticating user root 206.81.24.125 port 45362 [preauth]");
  EXPECT_EQ(F(a, "event.action"), "ssh_login");
  EXPECT_EQ(F(a, "event.outcome"), "failure");
  EXPECT_EQ(F(a, "user.name"), "root");
  EXPECT_EQ(F(a, "source.ip"), "206.81.24.125");
  EXPECT_EQ(F(a, "source.port"), "45362");
  Event b = P("Feb 19 10:38:14 h sshd[3355]: Disconnected from invalid user ftp 92.255.85.135 port 26138 [preauth]");
  EXPECT_EQ(F(b, "user.name"), "ftp");
  EXPECT_EQ(F(b, "event.outcome"), "failure");
  Event c = P("Nov 19 11:28:15 h sshd[36648]: Connection closed by 118.27.24.104 port 33594 [preauth]");
  EXPECT_EQ(F(c, "event.action"), "ssh_disconnect");
  EXPECT_EQ(F(c, "event.category"), "network");
  EXPECT_EQ(F(c, "event.outcome"), "failure");
  EXPECT_EQ(F(c, "user.name"), "<absent>");
  Event d = P("Mar  1 10:00:00 h sshd[5]: Disconnected from user alice 10.0.0.9 port 50522");
  EXPECT_EQ(F(d, "event.action"), "logout");
  EXPECT_EQ(F(d, "event.category"), "session");
  EXPECT_EQ(F(d, "event.type"), "end");
  EXPECT_EQ(F(d, "user.name"), "alice");
  Event e = P("Feb 22 10:26:52 server01 sshd[1001]: Received disconnect from 192.168.1.1: 11: disconnected by user");
  EXPECT_EQ(F(e, "event.action"), "logout");
  EXPECT_EQ(F(e, "source.ip"), "192.168.1.1");
  EXPECT_EQ(F(e, "sshd.disconnect_code"), "11");
  EXPECT_EQ(F(e, "event.reason"), "disconnected by user");
  Event f = P("Dec 10 07:02:47 LabSZ sshd[24203]: Received disconnect from 52.80.34.196: 11: Bye Bye [preauth]");
  EXPECT_EQ(F(f, "event.action"), "ssh_disconnect");
}

TEST(AuthSshd, ScannerAndProtocolNoise) {
  Event a = P("Jun  8 10:44:36 s sshd[3204729]: Unable to negotiate with 123.57.135.134 port 45626: no matching key "
              "exchange method found. Their offer: diffie-hellman-group14-sha1 [preauth] ");
  EXPECT_EQ(F(a, "event.action"), "ssh_negotiation_failed");
  EXPECT_EQ(F(a, "source.ip"), "123.57.135.134");
  EXPECT_EQ(F(a, "source.port"), "45626");
  Event b = P("Jul  1 09:30:56 u sshd[8807]: fatal: Timeout before authentication for 192.168.9.212 port 47056");
  EXPECT_EQ(F(b, "event.action"), "ssh_auth_timeout");
  EXPECT_EQ(F(b, "source.ip"), "192.168.9.212");
  Event c = P("Dec 16 14:10:24 myhost sshd[16379]: refused connect from example.com (192.168.1.1)");
  EXPECT_EQ(F(c, "event.action"), "ssh_refused_connection");
  EXPECT_EQ(F(c, "source.ip"), "192.168.1.1");
  EXPECT_EQ(F(c, "source.domain"), "example.com");
  Event d = P("Dec 12 14:10:24 h sshd[1]: refused connect from _x_@::ffff:192.168.1.1 (::ffff:192.168.1.1)");
  EXPECT_EQ(F(d, "source.ip"), "192.168.1.1");
  Event e = P("Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.example.com "
              "[173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!");
  EXPECT_EQ(F(e, "source.ip"), "173.234.31.186");
  EXPECT_EQ(F(e, "source.domain"), "ns.example.com");
  Event f = P("Feb 19 15:30:04 server02 sshd[1001]: Did not receive identification string from 192.168.1.4");
  EXPECT_EQ(F(f, "event.action"), "ssh_no_identification");
  EXPECT_EQ(F(f, "source.ip"), "192.168.1.4");
  Event g = P("Nov 14 00:20:42 m sshd[1112652]: User root from 192.168.1.1 not allowed because not listed in AllowUsers");
  EXPECT_EQ(F(g, "event.action"), "ssh_login");
  EXPECT_EQ(F(g, "event.outcome"), "failure");
  EXPECT_EQ(F(g, "user.name"), "root");
  EXPECT_EQ(F(g, "event.reason"), "not allowed because not listed in AllowUsers");
}

TEST(AuthSshd, MessageRepeatedAndPamFromSshd) {
  Event a = P("Dec 10 09:32:20 LabSZ sshd[24680]: message repeated 5 times: [ Failed password for root from "
              "5.36.59.76 port 42393 ssh2]");
  EXPECT_EQ(F(a, "event.count"), "5");
  EXPECT_EQ(F(a, "source.ip"), "5.36.59.76");
  EXPECT_EQ(F(a, "event.outcome"), "failure");
  Event b = P("Nov 2 15:40:14 workshop sshd[28179]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
              "euid=0 tty=ssh ruser= rhost=5.33.63.160 user=workshop");
  EXPECT_EQ(F(b, "event.dataset"), "auth.sshd");
  EXPECT_EQ(F(b, "event.action"), "authentication_failure");
  EXPECT_EQ(F(b, "event.outcome"), "failure");
  EXPECT_EQ(F(b, "user.name"), "workshop");
  EXPECT_EQ(F(b, "user.id"), "0");
  EXPECT_EQ(F(b, "source.ip"), "5.33.63.160");
  EXPECT_EQ(F(b, "pam.module"), "pam_unix");
  EXPECT_EQ(F(b, "pam.service"), "sshd");
  EXPECT_EQ(F(b, "pam.type"), "auth");
  // Old style: the module is in the program name.
  Event c = P("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 "
              "tty=NODEVssh ruser= rhost=218.188.2.4 ");
  EXPECT_EQ(F(c, "event.dataset"), "auth.sshd");
  EXPECT_EQ(F(c, "source.ip"), "218.188.2.4");
  EXPECT_EQ(F(c, "user.name"), "<absent>");
  Event d = P("Dec 10 06:55:48 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 "
              "euid=0 tty=ssh ruser= rhost=ec2-52.compute.amazonaws.com.cn ");
  EXPECT_EQ(F(d, "source.ip"), "<absent>");
  EXPECT_EQ(F(d, "source.domain"), "ec2-52.compute.amazonaws.com.cn");
  Event e = P("Feb 22 10:49:54 server01 sshd[1001]: pam_unix(sshd:session): session opened for user user01 by (uid=0)");
  EXPECT_EQ(F(e, "event.action"), "logged-on");
  EXPECT_EQ(F(e, "event.category"), "session");
  EXPECT_EQ(F(e, "user.name"), "user01");
}

TEST(AuthSshd, UnknownSshdLineStillSshd) {
  Event ev = P("Jan  1 00:00:00 h sshd[7]: Server listening on 0.0.0.0 port 22.");
  EXPECT_EQ(F(ev, "event.dataset"), "auth.sshd");
  EXPECT_EQ(F(ev, "event.kind"), "event");
  EXPECT_EQ(F(ev, "event.action"), "<absent>");
  EXPECT_EQ(F(ev, "message"), "Server listening on 0.0.0.0 port 22.");
}

TEST(AuthSshd, NoSyslogHeaderUsesContent) {
  Event ev = P("Failed password for root from 10.1.1.1 port 22 ssh2");
  EXPECT_EQ(F(ev, "event.dataset"), "auth.sshd");
  EXPECT_EQ(F(ev, "source.ip"), "10.1.1.1");
}

// ---------------------------------------------------------------- sudo / su / pam

TEST(AuthSudo, Command) {
  Event ev = P("Feb 22 17:04:51 host01 sudo:     user2 : TTY=pts/0 ; PWD=/home/user2 ; USER=root ; "
               "COMMAND=/bin/cp /var/log/secure .");
  EXPECT_EQ(F(ev, "event.dataset"), "auth.sudo");
  EXPECT_EQ(F(ev, "event.action"), "sudo");
  EXPECT_EQ(F(ev, "event.category"), "process");
  EXPECT_EQ(F(ev, "event.outcome"), "success");
  EXPECT_EQ(F(ev, "user.name"), "user2");
  EXPECT_EQ(F(ev, "user.effective.name"), "root");
  EXPECT_EQ(F(ev, "process.command_line"), "/bin/cp /var/log/secure .");
  EXPECT_EQ(F(ev, "process.working_directory"), "/home/user2");
  EXPECT_EQ(F(ev, "sudo.tty"), "pts/0");
}

TEST(AuthSudo, CommandWithSemicolonsAndFailures) {
  Event ev = P("Feb  9 21:19:40 s sudo: u : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c echo a ; rc=1");
  EXPECT_EQ(F(ev, "process.command_line"), "/bin/sh -c echo a ; rc=1");
  Event f = P("Feb 24 00:13:02 server03 sudo: user02 : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/user01 ; "
              "USER=root ; COMMAND=/bin/ls");
  EXPECT_EQ(F(f, "event.outcome"), "failure");
  EXPECT_EQ(F(f, "event.reason"), "user NOT in sudoers");
  EXPECT_EQ(F(f, "user.name"), "user02");
  Event g = P("Feb 24 00:12:42 s sudo:      user02 : 3 incorrect password attempts ; TTY=pts/1 ; PWD=/h ; "
              "USER=root ; COMMAND=/bin/ls");
  EXPECT_EQ(F(g, "event.reason"), "3 incorrect password attempts");
  Event h = P("Feb  9 21:19:40 server01 sudo: pam_unix(sudo:session): session opened for user root by user01(uid=1000)");
  EXPECT_EQ(F(h, "event.dataset"), "auth.sudo");
  EXPECT_EQ(F(h, "event.action"), "logged-on");
  EXPECT_EQ(F(h, "user.name"), "user01");
  EXPECT_EQ(F(h, "user.id"), "1000");
  EXPECT_EQ(F(h, "user.effective.name"), "root");
}

TEST(AuthSu, Forms) {
  Event a = P("Feb 24 00:12:14 server01 su[1001]: Successful su for user02 by root");
  EXPECT_EQ(F(a, "event.dataset"), "auth.su");
  EXPECT_EQ(F(a, "event.action"), "su");
  EXPECT_EQ(F(a, "event.outcome"), "success");
  EXPECT_EQ(F(a, "user.name"), "root");
  EXPECT_EQ(F(a, "user.effective.name"), "user02");
  Event b = P("Feb 24 00:12:14 server01 su[1001]: + /dev/pts/1 root:user02");
  EXPECT_EQ(F(b, "user.name"), "root");
  EXPECT_EQ(F(b, "user.effective.name"), "user02");
  EXPECT_EQ(F(b, "su.tty"), "/dev/pts/1");
  Event c = P("Mar  3 10:00:00 h su[9]: FAILED SU (to root) alice on pts/3");
  EXPECT_EQ(F(c, "event.outcome"), "failure");
  EXPECT_EQ(F(c, "user.name"), "alice");
  EXPECT_EQ(F(c, "user.effective.name"), "root");
  Event d = P("Mar  3 10:00:00 h su[9]: (to root) alice on pts/3");
  EXPECT_EQ(F(d, "event.outcome"), "success");
  Event e = P("Feb 24 00:12:14 server01 su[1001]: pam_unix(su:session): session opened for user user02 by user01(uid=0)");
  EXPECT_EQ(F(e, "event.dataset"), "auth.su");
  EXPECT_EQ(F(e, "user.name"), "user01");
  EXPECT_EQ(F(e, "user.effective.name"), "user02");
}

TEST(AuthPam, OtherPrograms) {
  Event a = P("Feb 22 11:17:01 server01 CRON[1001]: pam_unix(cron:session): session opened for user root by (uid=0)");
  EXPECT_EQ(F(a, "event.dataset"), "auth.pam");
  EXPECT_EQ(F(a, "event.action"), "logged-on");
  EXPECT_EQ(F(a, "user.name"), "root");
  Event b = P("Feb 24 00:12:07 server01 passwd[1001]: pam_unix(passwd:chauthtok): password changed for user02");
  EXPECT_EQ(F(b, "event.action"), "password_changed");
  EXPECT_EQ(F(b, "event.category"), "iam");
  EXPECT_EQ(F(b, "user.name"), "user02");
  Event c = P("Jun 15 12:12:34 combo login(pam_unix)[2421]: session opened for user root by LOGIN(uid=0)");
  EXPECT_EQ(F(c, "event.dataset"), "auth.pam");
  EXPECT_EQ(F(c, "user.name"), "root");
  EXPECT_EQ(F(c, "user.effective.name"), "<absent>");
  Event d = P("Jun 15 12:12:34 combo gdm(pam_unix)[2803]: check pass; user unknown");
  EXPECT_EQ(F(d, "event.action"), "user_unknown");
  Event e = P("Feb 22 16:45:20 host01 sshd[1001]: pam_succeed_if(sshd:auth): requirement \"uid >= 1000\" not met by user \"root\"");
  EXPECT_EQ(F(e, "user.name"), "root");
  EXPECT_EQ(F(e, "event.outcome"), "failure");
}

// ---------------------------------------------------------------- RADIUS

TEST(AuthRadius, FortiAuthenticator) {
  Event ev = P("2021-07-08T11:00:56-03:00 fac1 db[31013]:  category=\"Event\" subcategory=\"Authentication\" "
               "typeid=20001 level=\"information\" user=\"user1\" nas=\"10.1.2.3\" action=\"Authentication\" "
               "status=\"Failed\" Remote RADIUS user authentication with invalid token");
  EXPECT_EQ(F(ev, "event.dataset"), "auth.radius");
  EXPECT_EQ(F(ev, "event.category"), "authentication");
  EXPECT_EQ(F(ev, "event.action"), "authentication");
  EXPECT_EQ(F(ev, "event.outcome"), "failure");
  EXPECT_EQ(F(ev, "event.code"), "20001");
  EXPECT_EQ(F(ev, "user.name"), "user1");
  EXPECT_EQ(F(ev, "source.ip"), "10.1.2.3");
  EXPECT_EQ(F(ev, "log.level"), "information");
  EXPECT_EQ(F(ev, "event.reason"), "Remote RADIUS user authentication with invalid token");
  EXPECT_EQ(ev.timestamp_ns, test_util::T("2021-07-08T14:00:56Z"));
}

TEST(AuthRadius, FreeRadiusFromDocumentation) {
  // No FreeRADIUS sample in the corpus: lines as the FreeRADIUS 3 documentation shows them.
  Event ok = P("Auth: (12) Login OK: [alice] (from client ap1 port 0 cli 00-11-22-33-44-55)", "auth.radius");
  EXPECT_EQ(F(ok, "event.dataset"), "auth.radius");
  EXPECT_EQ(F(ok, "event.outcome"), "success");
  EXPECT_EQ(F(ok, "user.name"), "alice");
  EXPECT_EQ(F(ok, "radius.client"), "ap1");
  EXPECT_EQ(F(ok, "radius.calling_station_id"), "00-11-22-33-44-55");
  EXPECT_EQ(F(ok, "radius.request_id"), "12");
  Event bad = P("Sat Nov 26 12:00:00 2026 : Auth: (3) Login incorrect (pap: Cleartext password does not match): "
                "[bob/<via Auth-Type = PAP>] (from client localhost port 0)");
  EXPECT_EQ(F(bad, "event.dataset"), "auth.radius");
  EXPECT_EQ(F(bad, "event.outcome"), "failure");
  EXPECT_EQ(F(bad, "user.name"), "bob");
  EXPECT_EQ(F(bad, "event.reason"), "pap: Cleartext password does not match");
}

// ---------------------------------------------------------------- declines

TEST(AuthDeclines, LeaveEventUntouched) {
  Register();
  for (auto fn : {&ParseSshd, &ParseSudo, &ParseSu, &ParsePam, &ParseRadius}) {
    Event ev;
    ev.Set("message", "hello world: nothing to see");
    ev.Set("process.name", "kernel");
    Event before = ev;
    EXPECT_FALSE(fn(&ev));
    EXPECT_EQ(ev.fields, before.fields);
  }
  Event ev;
  ev.Set("message", "Accepted password for");  // truncated
  Event before = ev;
  EXPECT_FALSE(ParseSshd(&ev));
  EXPECT_EQ(ev.fields, before.fields);
}

TEST(AuthDeclines, ForcedSourceOnForeignLine) {
  Event ev = P("<13>Nov 26 12:00:00 h kernel: eth0 link up", "auth.sshd");
  EXPECT_NE(F(ev, "event.dataset"), "auth.sshd");
  EXPECT_EQ(F(ev, "message"), "eth0 link up");
}

// ---------------------------------------------------------------- corpus helpers

//! Splits one CSV record (RFC 4180 quotes).
std::vector<std::string> Csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool q = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (q) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') cur += '"', ++i;
      else if (c == '"') q = false;
      else cur += c;
    } else if (c == '"') {
      q = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

//! Matches a loghub template ("<*>" wildcards, shortest match) and returns the captures.
bool MatchTemplate(std::string_view tpl, std::string_view s, std::vector<std::string>* caps) {
  size_t star = tpl.find("<*>");
  if (star == std::string_view::npos) return tpl == s;
  if (s.substr(0, star) != tpl.substr(0, star)) return false;
  std::string_view rest_t = tpl.substr(star + 3);
  for (size_t len = 0; star + len <= s.size(); ++len) {
    caps->push_back(std::string(s.substr(star, len)));
    if (MatchTemplate(rest_t, s.substr(star + len), caps)) return true;
    caps->pop_back();
  }
  return false;
}

//! For the loghub templates of our formats: the field each <*> fills ("" = not compared,
//! "@peer" = source.ip or source.domain).
const std::map<std::string, std::vector<std::string>>& TemplateFields() {
  static const std::map<std::string, std::vector<std::string>> m = {
      {"Accepted password for <*> from <*> port <*> ssh2", {"user.name", "source.ip", "source.port"}},
      {"Failed password for <*> from <*> port <*> ssh2", {"user.name", "source.ip", "source.port"}},
      {"Failed password for invalid user <*> from <*> port <*> ssh2", {"user.name", "source.ip", "source.port"}},
      {"Failed none for invalid user <*> from <*> port <*> ssh2", {"user.name", "source.ip", "source.port"}},
      {"Invalid user <*> from <*>", {"user.name", "source.ip"}},
      {"input_userauth_request: invalid user <*> [preauth]", {"user.name"}},
      {"Connection closed by <*> [preauth]", {"source.ip"}},
      {"Did not receive identification string from <*>", {"source.ip"}},
      {"reverse mapping checking getaddrinfo for <*> [<*>] failed - POSSIBLE BREAK-IN ATTEMPT!",
       {"source.domain", "source.ip"}},
      {"message repeated <*> times: [ Failed password for root from <*> port <*>]",
       {"event.count", "source.ip", ""}},  // loghub's last <*> is "PORT ssh2"
      {"pam_unix(sshd:auth): authentication failure; logname= uid=<*> euid=<*> tty=ssh ruser= rhost=<*>",
       {"user.id", "user.effective.id", "@peer"}},
      {"pam_unix(sshd:auth): authentication failure; logname= uid=<*> euid=<*> tty=ssh ruser= rhost=<*> user=<*>",
       {"user.id", "user.effective.id", "@peer", "user.name"}},
      {"PAM <*> more authentication failures; logname= uid=<*> euid=<*> tty=ssh ruser= rhost=<*>",
       {"event.count", "user.id", "user.effective.id", "@peer"}},
      {"PAM <*> more authentication failures; logname= uid=<*> euid=<*> tty=ssh ruser= rhost=<*>  user=root",
       {"event.count", "user.id", "user.effective.id", "@peer"}},
      {"pam_unix(sshd:session): session opened for user <*> by (uid=<*>)", {"user.name", ""}},
      {"pam_unix(sshd:session): session closed for user <*>", {"user.name"}},
      {"Received disconnect from <*>: <*>: Bye Bye [preauth]", {"source.ip", "sshd.disconnect_code"}},
      {"Received disconnect from <*>: <*>: Closed due to user request. [preauth]", {"source.ip", "sshd.disconnect_code"}},
      {"Received disconnect from <*>: <*>: disconnected by user", {"source.ip", "sshd.disconnect_code"}},
      {"error: Received disconnect from <*>: <*>: No more user authentication methods available. [preauth]",
       {"source.ip", "sshd.disconnect_code"}},
      {"error: Received disconnect from <*>: <*>: com.jcraft.jsch.JSchException: Auth fail [preauth]",
       {"source.ip", "sshd.disconnect_code"}},
      // Linux_2k (old pam_unix program names)
      {"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=<*>", {"@peer"}},
      {"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=<*>  user=root", {"@peer"}},
      {"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=<*>  user=guest", {"@peer"}},
      {"authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=<*>  user=test", {"@peer"}},
      {"session opened for user <*> by (uid=<*>)", {"user.name", ""}},
      {"session opened for user <*> by LOGIN(uid=<*>)", {"user.name", ""}},
      {"session closed for user <*>", {"user.name"}},
  };
  return m;
}

void ExpectTemplate(corpus::CorpusFormat& f, const Event& ev, const std::string& tpl, const std::string& content) {
  auto it = TemplateFields().find(tpl);
  if (it == TemplateFields().end()) return;
  std::vector<std::string> caps;
  if (!MatchTemplate(tpl, content, &caps) || caps.size() != it->second.size()) return;
  for (size_t i = 0; i < caps.size(); ++i) {
    const std::string& name = it->second[i];
    std::string want = caps[i];
    while (!want.empty() && want.back() == ' ') want.pop_back();
    if (name.empty()) continue;
    if (name == "@peer") {
      f.Expect(ev, corpus::Field(ev, "source.ip").empty() ? "source.domain" : "source.ip", want);
    } else {
      f.Expect(ev, name, want);
    }
  }
}

std::string Trimmed(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

//! The peers trim trailing spaces off the message; we keep the message exactly as sent.
void ExpectMessage(corpus::CorpusFormat& f, const Event& ev, const std::string& want) {
  std::string got = corpus::Field(ev, "message");
  if (got != want && Trimmed(got) == Trimmed(want)) {
    f.Differs("message", "the peer trims trailing spaces; we keep the message byte for byte");
  } else {
    f.Expect(ev, "message", want);
  }
}

// ---------------------------------------------------------------- corpus: CrowdSec

TEST(AuthCorpus, CrowdsecSshd) {
  std::string log = corpus::Path("auth/linux-sshd-pam/crowdsec-sshd-logs.log");
  std::string asserts = corpus::Path("auth/linux-sshd-pam/crowdsec-sshd-logs.parser.assert");
  if (log.empty() || asserts.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  auto lines = corpus::Lines(log);
  // index -> (crowdsec key -> value), stage s01-parse only
  std::map<int, std::map<std::string, std::string>> want;
  for (const auto& a : corpus::Lines(asserts)) {
    const std::string pre = "results[\"s01-parse\"][\"crowdsecurity/sshd-logs\"][";
    if (a.rfind(pre, 0) != 0) continue;
    size_t close = a.find(']', pre.size());
    int idx = std::stoi(a.substr(pre.size(), close - pre.size()));
    size_t k1 = a.find("[\"", close);
    size_t k2 = a.find("\"]", k1 == std::string::npos ? 0 : k1);
    size_t eq = a.find(" == \"");
    if (k1 == std::string::npos || k2 == std::string::npos || eq == std::string::npos) continue;
    std::string kind = a.substr(close + 2, k1 - close - 2);  // Evt.Parsed / Evt.Meta
    std::string key = kind + ":" + a.substr(k1 + 2, k2 - k1 - 2);
    std::string val = a.substr(eq + 5);
    if (!val.empty() && val.back() == '"') val.pop_back();
    want[idx][key] = val;
  }
  corpus::CorpusFormat f{"auth.sshd crowdsec-sshd-logs"};
  for (size_t i = 0; i < lines.size(); ++i) {
    Event ev = corpus::Parse(lines[i]);
    f.Classify(ev, "auth.sshd");
    auto it = want.find(static_cast<int>(i));
    if (it == want.end()) continue;
    for (const auto& [k, v] : it->second) {
      if (k == "Evt.Meta:source_ip") f.Expect(ev, "source.ip", v);
      else if (k == "Evt.Meta:target_user") f.Expect(ev, "user.name", v);
      else if (k == "Evt.Parsed:sshd_port") f.Expect(ev, "source.port", v);
      else if (k == "Evt.Parsed:uid") f.Expect(ev, "user.id", v);
      else if (k == "Evt.Parsed:euid") f.Expect(ev, "user.effective.id", v);
      else if (k == "Evt.Parsed:pid") f.Expect(ev, "process.pid", v);
      else if (k == "Evt.Parsed:program") f.Expect(ev, "process.name", v);
      else if (k == "Evt.Parsed:message") ExpectMessage(f, ev, v);
      else if (k == "Evt.Meta:log_type") f.Differs("event.action", "CrowdSec log_type (ssh_failed-auth, ssh_bad_keyexchange...) vs our ssh_login/ssh_* actions");
    }
  }
  Report({f});
}

// ---------------------------------------------------------------- corpus: Wazuh engine ECS

void Flatten(simdjson::dom::element el, const std::string& prefix, std::map<std::string, std::string>* out) {
  if (el.is_object()) {
    simdjson::dom::object obj = el.get_object().value_unsafe();
    for (auto [k, v] : obj) {
      Flatten(v, prefix.empty() ? std::string(k) : prefix + "." + std::string(k), out);
    }
  } else if (el.is_string()) {
    (*out)[prefix] = std::string(el.get_string().value_unsafe());
  } else if (el.is_array()) {
    std::string joined;
    simdjson::dom::array arr = el.get_array().value_unsafe();
    for (auto v : arr) {
      if (!joined.empty()) joined += ",";
      joined += v.is_string() ? std::string(v.get_string().value_unsafe()) : simdjson::minify(v);
    }
    (*out)[prefix] = joined;
  } else {
    (*out)[prefix] = simdjson::minify(el);
  }
}

std::vector<std::map<std::string, std::string>> LoadWazuh(const std::string& path) {
  std::vector<std::map<std::string, std::string>> docs;
  static simdjson::dom::parser parser;
  simdjson::padded_string json(corpus::ReadAll(path));
  simdjson::dom::element root;
  if (parser.allocate(json.size() + 4096, 64) != simdjson::SUCCESS) return docs;
  if (parser.parse(json).get(root) || !root.is_array()) return docs;
  simdjson::dom::array arr = root.get_array().value_unsafe();
  for (auto d : arr) {
    std::map<std::string, std::string> flat;
    Flatten(d, "", &flat);
    docs.push_back(std::move(flat));
  }
  return docs;
}

TEST(AuthCorpus, WazuhEngineSystemAuth) {
  const std::string dir = "auth/linux-sshd-pam/wazuh-engine-system-auth/";
  if (corpus::Path(dir + "auth_input.txt").empty()) GTEST_SKIP() << "corpus absent";
  Register();
  corpus::CorpusFormat f{"auth wazuh-engine system-auth"};
  const std::vector<std::pair<std::string, std::string>> files = {
      {"auth_input.txt", "auth_expected.json"},
      {"rhel_79_input.txt", "rhel_79_expected.json"},
      {"rhel_7_input.txt", "rhel_7_expected.json"},
      {"secure-rhel7.txt", "secure-rhel7_expected.json"},
      {"ubuntu_1204_input.txt", "ubuntu_1204_expected.json"},
  };
  // Lines that state no outcome, where we leave event.outcome empty (the peer says success).
  static constexpr const char* kNoOutcome[] = {"last message repeated", "command continued", "ignoring max retries"};
  int not_ours = 0;
  for (const auto& [in, exp] : files) {
    auto lines = corpus::Lines(corpus::Path(dir + in));
    auto docs = LoadWazuh(corpus::Path(dir + exp));
    ASSERT_EQ(lines.size(), docs.size()) << in;
    for (size_t i = 0; i < lines.size(); ++i) {
      Event ev = corpus::Parse(lines[i]);
      const auto& d = docs[i];
      auto has = [&](const char* k) { return d.count(k) != 0; };
      auto peer = [&](const char* k) { return has(k) ? d.at(k) : std::string(); };
      // The dataset we owe the line, from the peer's own decoding: its program, and for other
      // programs a PAM module line ("pam_unix(cron:session): ...") in its message.
      const std::string prog = peer("process.name"), peer_msg = peer("message");
      std::string expected_ds;
      if (prog == "sshd") expected_ds = "auth.sshd";
      else if (prog == "sudo") expected_ds = "auth.sudo";
      else if (prog == "su") expected_ds = "auth.su";
      else if (peer_msg.rfind("pam_", 0) == 0) expected_ds = "auth.pam";
      else {  // groupadd/useradd/usermod/userdel/chfn/chage: not an auth format of ours
        ++not_ours;
        EXPECT_EQ(corpus::Field(ev, "event.dataset").rfind("auth.", 0), std::string::npos) << lines[i];
        continue;
      }
      f.Classify(ev, expected_ds);
      // The raw line decides the deliberate differences below, never our own parse of it.
      const std::string& msg = lines[i];
      for (const char* k : {"source.ip", "source.port", "user.effective.name", "process.command_line",
                            "process.working_directory", "process.pid", "process.name", "user.effective.id"}) {
        if (has(k)) f.Expect(ev, k, d.at(k));
      }
      if (has("host.hostname")) f.Expect(ev, "host.name", d.at("host.hostname"));
      if (has("user.name")) {
        if (msg.find("logname=user01") != std::string::npos && msg.find("user=user02") != std::string::npos)
          f.Differs("user.name", "PAM auth failure: we take user= (the account being authenticated), the peer logname=");
        else f.Expect(ev, "user.name", d.at("user.name"));
      }
      if (has("user.id")) {
        if (msg.find("session opened for user") != std::string::npos && msg.find("by (uid=") != std::string::npos) {
          f.Differs("user.id", "'session opened for user X by (uid=0)': the uid is the PAM caller's, not X's; we leave user.id empty");
          f.Expect(ev, "user.id", "");
        } else {
          f.Expect(ev, "user.id", d.at("user.id"));
        }
      }
      if (has("event.action")) {
        if (msg.find("Read from socket failed") != std::string::npos)
          f.Differs("event.action", "'fatal: Read from socket failed ... [preauth]' is ssh_disconnect here, ssh_login for the peer");
        else f.Expect(ev, "event.action", d.at("event.action"));
      }
      if (has("event.outcome")) {
        const std::string& theirs = d.at("event.outcome");
        bool states_no_outcome = false;
        for (const char* m : kNoOutcome) states_no_outcome |= msg.find(m) != std::string::npos;
        if (states_no_outcome) {
          f.Differs("event.outcome", "the peer writes success on every decoded line; we leave it empty where the line states no outcome (last message repeated, command continued, ignoring max retries, ...)");
          f.Expect(ev, "event.outcome", "");
        } else if (msg.find("NOT in sudoers") != std::string::npos ||
                   msg.find("incorrect password attempts") != std::string::npos) {
          f.Differs("event.outcome", "sudo refusals (NOT in sudoers, N incorrect password attempts) are failures here, success for the peer");
          f.Expect(ev, "event.outcome", "failure");
        } else if (msg.find("Did not receive identification") != std::string::npos ||
                   msg.find("PAM: User not known") != std::string::npos) {
          f.Differs("event.outcome", "'Did not receive identification string' and 'PAM: User not known ...' are failures here, success for the peer");
          f.Expect(ev, "event.outcome", "failure");
        } else if ((msg.find("authentication failure") != std::string::npos ||
                    msg.find("not met by user") != std::string::npos) && theirs == "success") {
          f.Differs("event.outcome", "the peer is inconsistent on PAM failures (same line: failure on one host, success on another); we always say failure");
          f.Expect(ev, "event.outcome", "failure");
        } else {
          f.Expect(ev, "event.outcome", theirs);
        }
      }
      // The peer injects the year 2024 into yearless times; we infer it from the receive time
      // (2026-11-26; a later month-day is of the year before): month, day and time must agree.
      if (has("event.start")) {
        const std::string start = d.at("event.start");
        const std::string year = start.substr(5, 5) <= "11-26" ? "2026" : "2025";
        f.Differs("@timestamp", "peer injects year 2024 into yearless times; we infer the year from the receive time (month, day and time compared)");
        f.Expect(ev, "@timestamp", year + start.substr(4));
      } else {
        ADD_FAILURE() << "no event.start in the peer's document for " << msg;
      }
      f.Differs("event.category", "the peer lists authentication+session for Accepted and process for sudo; we write one category (authentication / session / process / network)");
    }
  }
  std::printf("%d line(s) of programs that are not an auth format of ours\n", not_ours);
  Report({f});
}

// ---------------------------------------------------------------- corpus: loghub

TEST(AuthCorpus, LoghubOpenSsh) {
  std::string log = corpus::Path("auth/linux-sshd-pam/loghub-OpenSSH_2k.log");
  std::string csv = corpus::Path("auth/linux-sshd-pam/loghub-OpenSSH_2k.log_structured.csv");
  if (log.empty() || csv.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  auto lines = corpus::Lines(log);
  auto rows = corpus::Lines(csv);
  ASSERT_EQ(rows.size(), lines.size() + 1);
  auto header = Csv(rows[0]);
  ASSERT_EQ(header[5], "Pid");
  ASSERT_EQ(header[6], "Content");
  ASSERT_EQ(header[8], "EventTemplate");
  corpus::CorpusFormat f{"auth.sshd loghub OpenSSH_2k"};
  int with_action = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto row = Csv(rows[i + 1]);
    Event ev = corpus::Parse(lines[i], "", *ParseRfc3339("2026-12-31T00:00:00Z"));
    f.Classify(ev, "auth.sshd");
    f.Expect(ev, "process.pid", row[5]);
    ExpectMessage(f, ev, row[6]);
    ExpectTemplate(f, ev, row[8], row[6]);
    if (!corpus::Field(ev, "event.action").empty()) ++with_action;
  }
  EXPECT_GT(with_action, 1950) << "lines with a recognised sshd form";
  Report({f});
}

TEST(AuthCorpus, LoghubLinuxPam) {
  std::string log = corpus::Path("auth/linux-sshd-pam/loghub-Linux_2k.log");
  std::string csv = corpus::Path("auth/linux-sshd-pam/loghub-Linux_2k.log_structured.csv");
  if (log.empty() || csv.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  auto lines = corpus::Lines(log);
  auto rows = corpus::Lines(csv);
  ASSERT_EQ(rows.size(), lines.size() + 1);
  corpus::CorpusFormat f{"auth.* loghub Linux_2k (pam_unix)"};
  for (size_t i = 0; i < lines.size(); ++i) {
    auto row = Csv(rows[i + 1]);
    const std::string& comp = row[5];
    std::string ds;
    if (comp == "sshd(pam_unix)") ds = "auth.sshd";
    else if (comp == "su(pam_unix)") ds = "auth.su";
    else if (comp == "login(pam_unix)" || comp == "gdm(pam_unix)") ds = "auth.pam";
    else continue;
    Event ev = corpus::Parse(lines[i], "", *ParseRfc3339("2026-12-31T00:00:00Z"));
    f.Classify(ev, ds);
    f.Expect(ev, "process.name", comp);
    f.Expect(ev, "process.pid", row[6]);
    ExpectMessage(f, ev, row[7]);
    ExpectTemplate(f, ev, row[9], row[7]);
  }
  Report({f});
}

TEST(AuthCorpus, LoghubThunderbirdCronAndSshd) {
  std::string log = corpus::Path("dhcp/isc-dhcpd/loghub-Thunderbird_2k.log");
  std::string csv = corpus::Path("dhcp/isc-dhcpd/loghub-Thunderbird_2k.log_structured.csv");
  if (log.empty() || csv.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  auto lines = corpus::Lines(log);
  auto rows = corpus::Lines(csv);
  ASSERT_EQ(rows.size(), lines.size() + 1);
  corpus::CorpusFormat f{"auth.* loghub Thunderbird_2k"};
  for (size_t i = 0; i < lines.size(); ++i) {
    auto row = Csv(rows[i + 1]);
    const std::string& comp = row[9];
    std::string ds;
    if (comp == "crond(pam_unix)") ds = "auth.pam";
    else if (comp == "sshd") ds = "auth.sshd";
    else continue;
    // Loghub prefixes each syslog line with "<label> <epoch> <date> <node> "; strip it.
    std::string line = lines[i];
    for (int k = 0; k < 4; ++k) line = line.substr(line.find(' ') + 1);
    Event ev = corpus::Parse(line, "", *ParseRfc3339("2005-12-31T00:00:00Z"));
    f.Classify(ev, ds);
    ExpectMessage(f, ev, row[11]);
    if (!row[10].empty()) f.Expect(ev, "process.pid", row[10]);
    ExpectTemplate(f, ev, row[13], row[11]);
  }
  Report({f});
}

// ---------------------------------------------------------------- corpus: FortiAuthenticator

TEST(AuthCorpus, WazuhFortiAuthenticator) {
  std::string ini = corpus::Path("auth/radius-fortiauthenticator/wazuh-fortiauth.ini");
  if (ini.empty()) GTEST_SKIP() << "corpus absent";
  Register();
  corpus::CorpusFormat f{"auth.radius wazuh fortiauth.ini"};
  for (const auto& l : corpus::Lines(ini)) {
    size_t p = l.find(" pass = ");
    if (l.rfind("log ", 0) != 0 || p == std::string::npos) continue;
    std::string raw = l.substr(p + 8);
    Event ev = corpus::Parse(raw);
    f.Classify(ev, "auth.radius");  // decoder = fortiauth
    // The rule names state the status: Pending / Failed / Successful / Info.
    std::string st = raw.substr(raw.find("status=\"") + 8);
    st = st.substr(0, st.find('"'));
    if (st == "Success") f.Expect(ev, "event.outcome", "success");
    if (st == "Failed") f.Expect(ev, "event.outcome", "failure");
    f.Expect(ev, "process.name", "db");
  }
  Report({f});
}

}  // namespace
}  // namespace kamatama
