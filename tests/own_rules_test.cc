// tests/own_rules_test.cc
//! kamatama's own Sigma rules (rules/kamatama, issue 21), each shown to fire on its positive lines
//! and to stay silent on its negatives, as a table. Lines are real lines of the shared corpus
//! (../shared/corpus; see each folder's SOURCE.md), parsed as the server parses them, and given
//! the timing of an attack (a burst) or of normal life (spread over a day): a correlation is
//! decided on the events' own @timestamp, as on the live stream. Where the corpus has no attack
//! of the kind (a port scan, a starvation, a tunnel), the attack is made of a real line with one
//! field varied (the port, the MAC, the name), as the case says.
//! Every case checks the exact set of rules that fired (base rules taken by a correlation raise
//! nothing of their own), so a rule firing where it should not fails the case too.
//! The rules load with `kamatama rules check` (every file loaded, none unsupported or invalid).
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "detect/correlation.h"
#include "detect/ruleset.h"
#include "parsers/dns.h"
#include "tests/corpus_util.h"

namespace kamatama {
namespace {

namespace fs = std::filesystem;

std::string RulesDir() { return std::string(KMT_SOURCE_DIR) + "/rules/kamatama"; }

//! Sigma `name` → `id` of every rule file under rules/kamatama (read from the files).
std::map<std::string, std::string> RuleIds() {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(RulesDir())) {
    if (e.path().extension() != ".yml") continue;
    std::string id, name;
    for (const std::string& l : corpus::Lines(e.path().string())) {
      if (l.rfind("id: ", 0) == 0) id = l.substr(4);
      if (l.rfind("name: ", 0) == 0) name = l.substr(6);
    }
    out[name] = id;
  }
  return out;
}

//! The allowed DHCP servers of the rogue-server rule: the Thunderbird cluster's (corpus).
const std::vector<std::string> kDhcpServers = {"10.100.0.250", "src@aadmin1", "src@aadmin2", "src@aadmin3",
                                               "src@aadmin4"};

//! The rules loaded as the server loads them, and their correlations.
struct Engine {
  detect::RuleSet rules;
  std::shared_ptr<detect::CorrelationSet> correlations = std::make_shared<detect::CorrelationSet>();
  detect::LoadSummary summary;

  Engine() {
    detect::CompileOptions co;
    co.placeholders["kmt_dhcp_servers"] = kDhcpServers;
    EXPECT_TRUE(rules.Load({RulesDir()}, co, &summary).ok());
    EXPECT_TRUE(correlations->Load({RulesDir()}, rules, &summary).ok());
  }

  //! Names of the rules and correlations that raise something on `events` (in time order),
  //! with how often.
  std::map<std::string, int> Fired(const std::vector<Event>& events, const std::map<std::string, std::string>& ids) const {
    std::map<std::string, std::string> names;
    for (const auto& [name, id] : ids) names[id] = name;
    detect::CorrelationState state(correlations);
    std::map<std::string, int> out;
    for (const Event& ev : events) {
      std::vector<const detect::Rule*> matched;
      rules.Match(ev, &matched);
      if (std::getenv("KMT_OWN_RULES_VERBOSE")) {
        std::printf("%s:", ev.original.substr(0, 80).c_str());
        for (const detect::Rule* r : matched) std::printf(" %s", names[r->id].c_str());
        std::printf("\n");
      }
      for (const detect::Rule* r : matched) {
        if (correlations->Generates(r->id)) ++out[names[r->id]];
      }
      std::vector<const detect::Correlation*> fired;
      state.FeedAll(matched, ev, &fired);
      for (const detect::Correlation* c : fired) {
        if (correlations->Generates(c->rule->id)) ++out[c->name];
      }
    }
    return out;
  }
};

// ------------------------------------------------------------------------------ corpus lines

std::vector<std::string> File(const std::string& rel) {
  const std::string p = corpus::Path(rel);
  return p.empty() ? std::vector<std::string>{} : corpus::Lines(p);
}

//! Lines of a corpus file that match `re` (with `replace_re` → `by` applied when given).
std::vector<std::string> Grep(const std::string& rel, const std::string& re) {
  std::vector<std::string> out;
  const std::regex r(re);
  for (const std::string& l : File(rel)) {
    if (std::regex_search(l, r)) out.push_back(l);
  }
  return out;
}

//! Wazuh .ini test lines ("log N pass = LINE") matching `re`.
std::vector<std::string> WazuhLines(const std::string& rel, const std::string& re) {
  std::vector<std::string> out;
  for (std::string l : Grep(rel, "^log [0-9]+ (pass|fail) = ")) {
    l = l.substr(l.find(" = ") + 3);
    if (std::regex_search(l, std::regex(re))) out.push_back(l);
  }
  return out;
}

std::string Replace(std::string line, const std::string& re, const std::string& by) {
  return std::regex_replace(line, std::regex(re), by, std::regex_constants::format_first_only);
}

//! The first line of `lines`, failing the test when there is none.
std::string First(const std::vector<std::string>& lines, const char* what) {
  EXPECT_FALSE(lines.empty()) << "no corpus line for " << what;
  return lines.empty() ? std::string() : lines.front();
}

//! `n` copies of `line`, the k-th with `re` replaced by make(k).
std::vector<std::string> Vary(const std::string& line, size_t n, const std::string& re,
                              const std::function<std::string(size_t)>& make) {
  std::vector<std::string> out;
  for (size_t k = 0; k < n; ++k) out.push_back(Replace(line, re, make(k)));
  return out;
}

std::vector<std::string> Repeat(const std::vector<std::string>& lines, size_t times) {
  std::vector<std::string> out;
  for (size_t t = 0; t < times; ++t) out.insert(out.end(), lines.begin(), lines.end());
  return out;
}

std::vector<std::string> Concat(std::vector<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

//! Loghub lines without their "<label> <epoch> <date> <node> " prefix (a syslog line remains).
std::vector<std::string> Loghub(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (std::string l : lines) {
    for (int k = 0; k < 4; ++k) l = l.substr(l.find(' ') + 1);
    out.push_back(l);
  }
  return out;
}

std::vector<std::string> DefenderRecords() {
  const std::string p = corpus::Path("av/windows-defender-evtx-xml/evtx-attack-samples-WinDefender_Events_1117_1116_AtomicRedTeam.xml");
  return p.empty() ? std::vector<std::string>{} : corpus::SplitEvents(corpus::ReadAll(p));
}

std::vector<std::string> WithThreat(const std::vector<std::string>& records, const std::string& code, const std::string& threat) {
  std::vector<std::string> out;
  for (const std::string& r : records) {
    if (r.find(">" + code + "</EventID>") != std::string::npos &&
        r.find("<Data Name=\"Threat Name\">" + threat + "<") != std::string::npos)
      out.push_back(r);
  }
  return out;
}

//! Every DNS line of the corpus a resolver or sensor logged (all names are ordinary ones).
std::vector<std::string> AllDnsLines() {
  return Concat({File("dns/bind9/crowdsec-bind9-logs.log"), File("dns/bind9/crowdsec-bind9-syslog.log"),
                 WazuhLines("dns/bind9/wazuh-named.ini", "."), WazuhLines("dns/bind9/ossec-named.ini", "."),
                 WazuhLines("dns/dnsmasq-unbound/ossec-dnsmasq.ini", "."),
                 WazuhLines("dns/dnsmasq-unbound/wazuh-unbound.ini", "."),
                 File("dns/suricata-eve-dns/wazuh-engine-suricata-dns_input.txt")});
}

//! A 52-character base32 label, as DNS tunnels encode data (deterministic).
std::string Base32Label(size_t k) {
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string s;
  uint64_t x = 0x9E3779B97F4A7C15ULL * (k + 1);
  for (int i = 0; i < 52; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    s += kAlphabet[x % 32];
  }
  return s;
}

// ------------------------------------------------------------------------------ timing

enum class Timing { kBurst, kSpread };

//! Parsed events, the i-th of n at `from` + i × step (a burst: `step_s` seconds apart; spread:
//! evenly over 24 hours, or over `spread_days`).
std::vector<Event> Timed(const std::vector<std::string>& lines, Timing t, int step_s = 1, int spread_days = 1) {
  const int64_t from = *ParseRfc3339("2026-12-01T00:00:00Z");
  std::vector<Event> out;
  const int64_t n = static_cast<int64_t>(lines.size());
  for (int64_t i = 0; i < n; ++i) {
    Event ev = corpus::Parse(lines[i]);
    const int64_t s = t == Timing::kBurst ? i * step_s : i * (86400LL * spread_days / std::max<int64_t>(n, 1));
    ev.timestamp_ns = from + s * kNanosPerSecond;
    out.push_back(std::move(ev));
  }
  return out;
}

// ------------------------------------------------------------------------------ the table

struct Case {
  std::string rule;                     //!< the rule (Sigma name) this case is about
  std::string what;                     //!< what the lines are
  std::function<std::vector<Event>()> events;
  std::set<std::string> expected;       //!< rules that must fire (and no other)
  size_t min_events = 1;                //!< the corpus gave at least this many lines
};

std::vector<Case> Cases() {
  using V = std::vector<std::string>;
  const auto wrt_drop = [] { return WazuhLines("firewall/iptables/wazuh-iptables.ini", "SRC=205\\.205\\.205\\.205 "); };
  const auto ipt_445 = [] { return First(Grep("firewall/iptables/elastic-test-iptables-raw.log", "DROP_INPUT.*DPT=445 "), "iptables DROP_INPUT"); };
  const auto asa_106006 = [] { return First(Grep("firewall/cisco-asa/elastic-test-sample.log", "%ASA-2-106006: Deny inbound UDP from 192\\.168\\.2\\.66/137"), "ASA 106006"); };
  const auto all_firewall = [] {
    return Concat({File("firewall/iptables/elastic-test-iptables-raw.log"), File("firewall/iptables/crowdsec-iptables-logs.log"),
                   WazuhLines("firewall/iptables/wazuh-iptables.ini", "."), File("firewall/pfsense-filterlog/crowdsec-pf-logs.log"),
                   File("firewall/pfsense-filterlog/crowdsec-pfsense-rfc5424-filterlog.log"),
                   File("firewall/cisco-asa/elastic-test-sample.log"), WazuhLines("firewall/cisco-asa/wazuh-cisco_asa.ini", "."),
                   WazuhLines("firewall/fortigate-kv/wazuh-fortigate.ini", ".")});
  };
  const auto pfsense_discover = [] { return First(Grep("dhcp/isc-dhcpd/elastic-test-pfsense-dhcp.log", "DHCPDISCOVER from 4c:55:41:a0:fa:99"), "pfSense DHCPDISCOVER"); };
  const auto mac = [](size_t k) {
    char b[64];
    std::snprintf(b, sizeof b, "DHCPDISCOVER from 02:5e:%02x:%02x:00:%02x", static_cast<int>(k / 256), static_cast<int>(k % 256), 7);
    return std::string(b);
  };
  const auto thunderbird_dhcp = [] { return Loghub(Grep("dhcp/isc-dhcpd/loghub-Thunderbird_2k.log", " dhcpd: DHCP")); };
  const auto postfix_rejects = [] {
    return Concat({Grep("mail/postfix/fail2ban-postfix.log", "^[A-Z][a-z]{2} .*postfix/smtpd\\[[0-9]+\\]: [A-Z0-9]+: reject: "),
                   Grep("mail/postfix/crowdsec-postfix-logs.log", "postfix/smtpd\\[[0-9]+\\]: [A-Z0-9]+: reject: ")});
  };
  const auto all_rejects = [postfix_rejects] {
    return Concat({postfix_rejects(), Grep("mail/exim/fail2ban-exim.log", "^[0-9]{4}-.* rejected"),
                   Grep("mail/exim/crowdsec-exim-logs.log", "rejected")});
  };
  const auto relay_denied = [] { return First(Grep("mail/postfix/fail2ban-postfix.log", "Relay access denied; from=<john@example\\.com>"), "Postfix relay denied"); };
  const auto radius = [](const char* status) { return First(WazuhLines("auth/radius-fortiauthenticator/wazuh-fortiauth.ini", std::string("status=\"") + status + "\""), status); };
  const auto dnsmasq_query = [] { return First(WazuhLines("dns/dnsmasq-unbound/ossec-dnsmasq.ini", "query\\[A\\] server\\.example\\.com"), "dnsmasq query"); };
  const auto suricata_query = [] { return First(Grep("dns/suricata-eve-dns/wazuh-engine-suricata-dns_input.txt", "\"type\":\"query\".*\"rrname\":\"google\\.com\""), "Suricata query"); };

  std::vector<Case> c;
  // --- firewall
  c.push_back({"kmt_fw_deny_burst", "the 18 real OpenWRT DROP lines from 205.205.205.205, three times, 1 s apart",
               [=] { return Timed(Repeat(wrt_drop(), 3), Timing::kBurst); }, {"kmt_fw_deny_burst"}, 54});
  c.push_back({"kmt_fw_deny_burst", "the same 54 lines spread over a day", [=] { return Timed(Repeat(wrt_drop(), 3), Timing::kSpread); }, {}, 54});
  c.push_back({"kmt_fw_port_scan", "the real iptables DROP_INPUT line to 172.16.54.114:445, to 20 ports, 2 s apart",
               [=] { return Timed(Vary(ipt_445(), 20, "DPT=445 ", [](size_t k) { return "DPT=" + std::to_string(20 + k * 7) + " "; }), Timing::kBurst, 2); },
               {"kmt_fw_port_scan"}, 20});
  c.push_back({"kmt_fw_port_scan", "the same 20 ports spread over a day",
               [=] { return Timed(Vary(ipt_445(), 20, "DPT=445 ", [](size_t k) { return "DPT=" + std::to_string(20 + k * 7) + " "; }), Timing::kSpread); },
               {}, 20});
  c.push_back({"kmt_fw_host_sweep", "the real ASA 106006 deny from 192.168.2.66 to 10.1.2.42:137, to 20 hosts, 3 s apart",
               [=] { return Timed(Vary(asa_106006(), 20, "to 10\\.1\\.2\\.42/", [](size_t k) { return "to 10.1.2." + std::to_string(100 + k) + "/"; }), Timing::kBurst, 3); },
               {"kmt_fw_host_sweep"}, 20});
  c.push_back({"kmt_fw_host_sweep", "the same 20 hosts spread over a day",
               [=] { return Timed(Vary(asa_106006(), 20, "to 10\\.1\\.2\\.42/", [](size_t k) { return "to 10.1.2." + std::to_string(100 + k) + "/"; }), Timing::kSpread); },
               {}, 20});
  c.push_back({"kmt_fw_port_scan", "every firewall line of the corpus (iptables, pfSense, ASA, FortiGate), 1 s apart",
               [=] { return Timed(all_firewall(), Timing::kBurst); }, {}, 100});
  // --- DHCP
  c.push_back({"kmt_dhcp_starvation", "the real pfSense DHCPDISCOVER from 60 MACs within 30 s",
               [=] { return Timed(Vary(pfsense_discover(), 60, "DHCPDISCOVER from 4c:55:41:a0:fa:99", mac), Timing::kBurst); },
               {"kmt_dhcp_starvation"}, 60});
  c.push_back({"kmt_dhcp_starvation", "the same 60 MACs spread over a day",
               [=] { return Timed(Vary(pfsense_discover(), 60, "DHCPDISCOVER from 4c:55:41:a0:fa:99", mac), Timing::kSpread); }, {}, 60});
  c.push_back({"kmt_dhcp_rogue_server", "every real Thunderbird dhcpd line (servers aadmin1-4, server id 10.100.0.250: allowed), 1 s apart",
               [=] { return Timed(thunderbird_dhcp(), Timing::kBurst); }, {}, 30});
  c.push_back({"kmt_dhcp_rogue_server", "the real pfSense DHCPREQUEST naming server 10.150.60.1 (not allowed)",
               [=] { return Timed(Grep("dhcp/isc-dhcpd/elastic-test-pfsense-dhcp.log", "DHCPREQUEST for 10\\.150\\.60\\.56 \\(10\\.150\\.60\\.1\\)"), Timing::kBurst); },
               {"kmt_dhcp_rogue_server"}, 1});
  c.push_back({"kmt_dhcp_rogue_server", "a real Thunderbird DHCPOFFER logged by a host not allowed (src@aadmin1 → src@rogue1)",
               [=] { return Timed({Replace(First(thunderbird_dhcp(), "Thunderbird"), "src@aadmin[0-9] dhcpd: DHCP[A-Z]+ .*", "src@rogue1 dhcpd: DHCPOFFER on 10.100.4.251 to 00:11:43:e3:ba:c3 via eth1")}, Timing::kBurst); },
               {"kmt_dhcp_rogue_server"}, 1});
  // --- mail
  c.push_back({"kmt_mail_reject_burst", "every real Postfix reject line, 5 s apart",
               [=] { return Timed(postfix_rejects(), Timing::kBurst, 5); }, {"kmt_mail_reject_burst"}, 20});
  c.push_back({"kmt_mail_reject_burst", "the same rejects spread over a day", [=] { return Timed(postfix_rejects(), Timing::kSpread); }, {}, 20});
  c.push_back({"kmt_mail_sender_many_recipients", "every real Postfix and Exim reject (many senders) spread over a day",
               [=] { return Timed(all_rejects(), Timing::kSpread); }, {}, 25});
  c.push_back({"kmt_mail_sender_many_recipients", "the real relay-denied line from john@example.com to 25 recipients, 10 s apart",
               [=] { return Timed(Vary(relay_denied(), 25, "to=<smtp@example\\.org>", [](size_t k) { return "to=<user" + std::to_string(k) + "@example.org>"; }), Timing::kBurst, 10); },
               {"kmt_mail_sender_many_recipients", "kmt_mail_reject_burst"}, 25});
  c.push_back({"kmt_mail_sender_many_recipients", "the same 25 recipients spread over a day",
               [=] { return Timed(Vary(relay_denied(), 25, "to=<smtp@example\\.org>", [](size_t k) { return "to=<user" + std::to_string(k) + "@example.org>"; }), Timing::kSpread); },
               {}, 25});
  // --- RADIUS
  c.push_back({"kmt_auth_radius_brute_force", "the real FortiAuthenticator failure of user1, 12 times in 6 minutes",
               [=] { return Timed(V(12, radius("Failed")), Timing::kBurst, 30); }, {"kmt_auth_radius_brute_force"}, 12});
  c.push_back({"kmt_auth_radius_brute_force", "the same 12 failures spread over a day", [=] { return Timed(V(12, radius("Failed")), Timing::kSpread); }, {}, 12});
  c.push_back({"kmt_auth_radius_brute_force", "the real success and pending lines, 12 times each in 6 minutes",
               [=] { return Timed(Concat({V(12, radius("Success")), V(12, radius("Pending"))}), Timing::kBurst, 15); }, {}, 24});
  // --- antivirus
  c.push_back({"kmt_av_threat_not_removed", "the real Defender 1117 that allowed Exeselrun",
               [=] { return Timed(WithThreat(DefenderRecords(), "1117", "Trojan:XML/Exeselrun.gen!A"), Timing::kBurst); }, {"kmt_av_threat_not_removed"}, 1});
  c.push_back({"kmt_av_threat_not_removed", "the real Defender 1117 whose quarantine of Powersploit failed (0x80508023)",
               [=] { return Timed(WithThreat(DefenderRecords(), "1117", "Trojan:PowerShell/Powersploit.M"), Timing::kBurst); }, {"kmt_av_threat_not_removed"}, 1});
  c.push_back({"kmt_av_threat_not_removed", "the real amavis verdict, Blocked INFECTED → Passed INFECTED",
               [=] { return Timed({Replace(First(File("av/amavis-clamav/crowdsec-amavis.log"), "amavis"), "Blocked INFECTED", "Passed INFECTED")}, Timing::kBurst); },
               {"kmt_av_threat_not_removed"}, 1});
  c.push_back({"kmt_av_threat_not_removed", "the real quarantines that worked (Defender 1117 x3), the 1116 detections, amavis Blocked, ESET, McAfee, Sophos, spread over a day",
               [=] {
                 V lines;
                 for (const std::string& r : DefenderRecords())
                   if (r.find("Exeselrun") == std::string::npos && r.find("Powersploit") == std::string::npos) lines.push_back(r);
                 return Timed(Concat({lines, File("av/amavis-clamav/crowdsec-amavis.log"), WazuhLines("av/eset-mcafee-syslog/wazuh-eset.ini", "."),
                                      WazuhLines("av/eset-mcafee-syslog/wazuh-mcafee_epo.ini", "."),
                                      File("av/sophos-xg-antivirus/wazuh-engine-sophos-antivirus_input.txt")}),
                              Timing::kSpread);
               },
               {}, 12});
  c.push_back({"kmt_av_repeated_detection", "the two real Defender 1116 detections of Jsprat and the first again, 20 minutes apart",
               [=] { V j = WithThreat(DefenderRecords(), "1116", "HackTool:JS/Jsprat"); if (!j.empty()) j.push_back(j.front()); return Timed(j, Timing::kBurst, 1200); },
               {"kmt_av_repeated_detection"}, 3});
  c.push_back({"kmt_av_repeated_detection", "the same three detections spread over three days",
               [=] { V j = WithThreat(DefenderRecords(), "1116", "HackTool:JS/Jsprat"); if (!j.empty()) j.push_back(j.front()); return Timed(j, Timing::kSpread, 1, 3); },
               {}, 3});
  c.push_back({"kmt_av_repeated_detection", "all 11 real Defender records within 11 minutes (Jsprat detected twice only)",
               [=] { V recs = DefenderRecords(); for (auto& r : recs) if (r.find(">1117<") != std::string::npos && r.find("Exeselrun") != std::string::npos) r.clear(); std::erase(recs, std::string()); return Timed(recs, Timing::kBurst, 60); },
               {"kmt_av_threat_not_removed"}, 10});
  // --- DNS
  c.push_back({"kmt_dns_tunnel_long_name", "every real DNS line of the corpus (BIND, dnsmasq, Unbound, Suricata), 1 s apart",
               [=] { return Timed(AllDnsLines(), Timing::kBurst); }, {}, 20});
  c.push_back({"kmt_dns_tunnel_long_name", "the real dnsmasq and Suricata queries, asking for a 52-character base32 label under t.example.org",
               [=] {
                 return Timed({Replace(dnsmasq_query(), "server\\.example\\.com", Base32Label(1) + ".t.example.org"),
                               Replace(suricata_query(), "\"rrname\":\"google\\.com\"", "\"rrname\":\"" + Base32Label(2) + ".t.example.org\"")},
                              Timing::kBurst, 60);
               },
               {"kmt_dns_tunnel_long_name"}, 2});
  c.push_back({"kmt_dns_subdomains_per_domain", "the real dnsmasq query, for 60 short names under t.example.org, 2 s apart",
               [=] { return Timed(Vary(dnsmasq_query(), 60, "server\\.example\\.com", [](size_t k) { return "c" + std::to_string(k * 7919) + ".t.example.org"; }), Timing::kBurst, 2); },
               {"kmt_dns_subdomains_per_domain"}, 60});
  c.push_back({"kmt_dns_subdomains_per_domain", "the same 60 names spread over a day",
               [=] { return Timed(Vary(dnsmasq_query(), 60, "server\\.example\\.com", [](size_t k) { return "c" + std::to_string(k * 7919) + ".t.example.org"; }), Timing::kSpread); },
               {}, 60});
  return c;
}

class OwnRules : public ::testing::TestWithParam<size_t> {
 protected:
  static void SetUpTestSuite() {
    if (!corpus::Path("README.md").empty()) engine_ = new Engine();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }
  static Engine* engine_;
};
Engine* OwnRules::engine_ = nullptr;

TEST_P(OwnRules, FiresExactlyAsExpected) {
  if (!engine_) GTEST_SKIP() << "the shared corpus is not beside the checkout";
  const Case c = Cases()[GetParam()];
  const auto ids = RuleIds();
  ASSERT_TRUE(ids.contains(c.rule)) << c.rule;
  for (const std::string& e : c.expected) ASSERT_TRUE(ids.contains(e)) << e;
  const std::vector<Event> events = c.events();
  ASSERT_GE(events.size(), c.min_events) << c.what;
  const std::map<std::string, int> fired = engine_->Fired(events, ids);
  std::set<std::string> names;
  for (const auto& [name, n] : fired) names.insert(name);
  EXPECT_EQ(names, c.expected) << c.rule << ": " << c.what;
}

INSTANTIATE_TEST_SUITE_P(Corpus, OwnRules, ::testing::Range<size_t>(0, Cases().size()),
                         [](const ::testing::TestParamInfo<size_t>& i) {
                           const Case c = Cases()[i.param];
                           return c.rule.substr(4) + "_" + std::to_string(i.param) + (c.expected.contains(c.rule) ? "_fires" : "_silent");
                         });

//! Every rule of the table has a case that fires and one that stays silent.
TEST(OwnRulesTable, EveryRuleHasAPositiveAndANegative) {
  std::map<std::string, std::pair<int, int>> seen;
  for (const Case& c : Cases()) {
    auto& [pos, neg] = seen[c.rule];
    (c.expected.contains(c.rule) ? pos : neg)++;
  }
  for (const auto& [rule, pn] : seen) {
    EXPECT_GT(pn.first, 0) << rule << " has no positive case";
    EXPECT_GT(pn.second, 0) << rule << " has no negative case";
  }
  EXPECT_GE(seen.size(), 12u);
}

//! The DNS parsers' computed fields the tunnelling rules read.
TEST(OwnRulesDnsFields, RegisteredDomainLengthAndEntropy) {
  auto features = [](const std::string& name) {
    Event ev;
    ev.Set("dns.question.name", name);
    AddDnsNameFeatures(&ev);
    return ev;
  };
  Event a = features("Www.Example.co.uk.");
  EXPECT_EQ(*a.Get("kamatama.dns.registered_domain"), "example.co.uk");
  EXPECT_EQ(*a.Get("kamatama.dns.subdomain_length"), "3");
  EXPECT_EQ(*a.Get("kamatama.dns.entropy"), "0");  // "www": one symbol
  Event b = features("ab.cd.example.com");
  EXPECT_EQ(*b.Get("kamatama.dns.registered_domain"), "example.com");
  EXPECT_EQ(*b.Get("kamatama.dns.subdomain_length"), "5");
  EXPECT_EQ(*b.Get("kamatama.dns.entropy"), "200");  // a, b, c, d: 2 bits
  Event c = features("example.com");
  EXPECT_EQ(*c.Get("kamatama.dns.subdomain_length"), "0");
  EXPECT_EQ(c.Get("kamatama.dns.entropy"), nullptr);
  Event d = features("localhost");
  EXPECT_EQ(d.Get("kamatama.dns.registered_domain"), nullptr);
  Event t = features(Base32Label(3) + ".t.example.org");
  EXPECT_GE(std::stoi(*t.Get("kamatama.dns.entropy")), 370);
}

//! `kamatama rules check` loads every rule file of rules/kamatama (with the rogue-DHCP
//! placeholder given; without it, that rule alone is unsupported, saying why).
TEST(OwnRulesCheck, EveryFileLoads) {
  size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(RulesDir())) files += e.path().extension() == ".yml";
  EXPECT_GE(files, 15u);
  auto run = [](const std::string& args) {
    std::string out;
    FILE* p = popen((std::string(KMT_BINARY) + " rules check --json " + args + " 2>&1").c_str(), "r");
    char buf[4096];
    for (size_t n; p && (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    const int rc = p ? pclose(p) : -1;
    return std::make_pair(rc, out);
  };
  auto [rc, out] = run("--placeholder kmt_dhcp_servers=10.0.0.1 --placeholder kmt_dhcp_servers=dhcp1 " + RulesDir());
  ASSERT_EQ(rc, 0) << out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(out).get(doc)) << out;
  EXPECT_EQ(int64_t(doc["loaded"]), static_cast<int64_t>(files)) << out;
  EXPECT_EQ(int64_t(doc["unsupported"]), 0) << out;
  EXPECT_EQ(int64_t(doc["invalid"]), 0) << out;
  auto [rc2, out2] = run(RulesDir());
  ASSERT_EQ(rc2, 0) << out2;
  ASSERT_FALSE(parser.parse(out2).get(doc)) << out2;
  EXPECT_EQ(int64_t(doc["unsupported"]), 1) << out2;
  EXPECT_NE(out2.find("placeholder %kmt_dhcp_servers% has no value"), std::string::npos) << out2;
}

}  // namespace
}  // namespace kamatama

namespace kamatama {
namespace {

//! kamatama's Sigma extensions the own rules use: integer comparisons and lists.
TEST(OwnRulesSigmaExtensions, IntegerComparisonsAndListsCompileOrSayWhyNot) {
  auto rule = [](const std::string& selection) {
    return "title: t\nid: 00000000-0000-4000-8000-000000000001\nlogsource:\n  category: dns\n"
           "detection:\n  selection:\n    " + selection + "\n  condition: selection\n";
  };
  auto event = [](const std::string& field, const std::string& value) {
    Event ev;
    ev.Set("event.dataset", "dns.dnsmasq");
    ev.Set(field, value);
    return ev;
  };
  detect::LoadReport gte = detect::CompileRule(rule("kamatama.dns.entropy|gte: 370"), "gte", {});
  ASSERT_EQ(gte.status, detect::RuleStatus::kLoaded) << gte.reason;
  EXPECT_TRUE(gte.rule->query.Matches(EventAccessor(event("kamatama.dns.entropy", "370"))));
  EXPECT_FALSE(gte.rule->query.Matches(EventAccessor(event("kamatama.dns.entropy", "369"))));
  EXPECT_FALSE(gte.rule->query.Matches(EventAccessor(event("kamatama.dns.entropy", "high"))));
  detect::LoadReport lt = detect::CompileRule(rule("kamatama.dns.subdomain_length|lt: 3"), "lt", {});
  ASSERT_EQ(lt.status, detect::RuleStatus::kLoaded) << lt.reason;
  EXPECT_TRUE(lt.rule->query.Matches(EventAccessor(event("kamatama.dns.subdomain_length", "2"))));
  EXPECT_FALSE(lt.rule->query.Matches(EventAccessor(event("kamatama.dns.subdomain_length", "3"))));
  detect::LoadReport bad = detect::CompileRule(rule("kamatama.dns.entropy|gte: 3.7"), "bad", {});
  EXPECT_EQ(bad.status, detect::RuleStatus::kUnsupported);
  EXPECT_NE(bad.reason.find("needs an integer"), std::string::npos) << bad.reason;
  detect::LoadReport list = detect::CompileRule(rule("source.ip|list: bad-ips"), "list", {});
  EXPECT_EQ(list.status, detect::RuleStatus::kUnsupported);
  EXPECT_NE(list.reason.find("no lists here"), std::string::npos) << list.reason;
}

}  // namespace
}  // namespace kamatama
