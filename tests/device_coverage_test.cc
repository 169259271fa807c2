// tests/device_coverage_test.cc
//! Issue 23's proof that named devices never fall to syslog.generic, with the real binary: for
//! each device, its lines (every example of each shipped definition in parsers/defs, and the
//! device samples of ../shared/corpus) go through `kamatama parse --stats`, which must list no
//! syslog.* dataset and nothing "not understood"; then through `kamatama parse`, where every
//! event must have the device's dataset, event.category, event.action or event.outcome, and (on
//! every line, or the share kExceptions gives with its reason) one of the fields an analyst pivots
//! on: an address, a MAC, a user, a URL, a file, a DNS name or a mail address.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "corpus_util.h"
#include "parsers/declarative/parser_set.h"
#include "tests/harness.h"

namespace {

namespace fs = std::filesystem;
using kamatama::corpus::Lines;
using kamatama::corpus::Path;
using kamatama::corpus::WazuhLines;

struct Device {
  std::string name;
  std::string dataset;  //!< the prefix every line's event.dataset must have
  std::vector<std::string> lines;
  double entity_share = 1.0;  //!< the share of lines that must carry an entity field
};

const char* const kEntityFields[] = {"source.ip",    "destination.ip", "source.mac",         "user.name",
                                     "url.original", "url.domain",     "file.name",          "file.hash.sha256",
                                     "dns.question.name", "email.from.address", "client.ip", "host.ip"};

//! Devices whose lines may lack an entity field, and why (the share that must still have one).
struct Exception {
  const char* device;
  double entity_share;
  const char* why;
};
const Exception kExceptions[] = {
    {"opensmtpd", 0.8, "a failed-command line names only the SMTP session id"},
    {"Cisco ASA/FTD", 0.75, "system messages (module, failover, memory, license, crypto) name no address or user"},
    {"FortiGate", 0.95, "an HA cluster event (subtype=ha) names no address or user"},
    {"ESET", 0.0, "Wazuh's ESET lines are anonymised (XXXXX) and carry only UUIDs"},
};

double EntityShare(const std::string& device, double otherwise) {
  for (const Exception& e : kExceptions) {
    if (device == e.device) return e.entity_share;
  }
  return otherwise;
}

//! One device per shipped definition, its lines the definition's own examples.
std::vector<Device> ShippedDevices() {
  std::shared_ptr<const kamatama::declarative::ParserSet> set;
  kamatama::declarative::LoadSummary summary;
  kamatama::declarative::LoadOptions opt;
  opt.shipped = true;
  EXPECT_TRUE(kamatama::declarative::LoadParserSet({}, &set, &summary, opt).ok());
  std::vector<Device> out;
  for (const auto& def : set->definitions()) {
    Device d{def.name, def.dataset, {}, EntityShare(def.name, 1.0)};
    for (const auto& ex : def.examples) d.lines.push_back(ex.line);
    out.push_back(std::move(d));
  }
  return out;
}

//! The named devices of the shared corpus (issue 23's commercial devices and appliances).
std::vector<Device> CorpusDevices() {
  struct Spec {
    const char* name;
    const char* dataset;
    std::vector<const char*> files;
  } specs[] = {
      {"Cisco ASA/FTD", "firewall.cisco_asa",
       {"firewall/cisco-asa/elastic-test-sample.log", "firewall/cisco-asa/wazuh-cisco_asa.ini", "firewall/cisco-asa/wazuh-pix.ini"}},
      {"FortiGate", "firewall.fortigate",
       {"firewall/fortigate-kv/wazuh-engine-fortinet-firewall_input.txt", "firewall/fortigate-kv/wazuh-fortigate.ini"}},
      {"Sophos XG web filter", "proxy.sophos_xg", {"proxy/sophos-xg-webfilter/wazuh-engine-sophos-cfilter_input.txt"}},
      {"Sophos XG anti-virus", "antivirus.sophos_xg", {"av/sophos-xg-antivirus/wazuh-engine-sophos-antivirus_input.txt"}},
      {"pfSense", "firewall.pfsense",
       {"firewall/pfsense-filterlog/crowdsec-pf-logs.log", "firewall/pfsense-filterlog/crowdsec-pfsense-rfc5424-filterlog.log"}},
      {"FortiAuthenticator", "auth.", {"auth/radius-fortiauthenticator/wazuh-fortiauth.ini"}},
      {"ESET", "antivirus.eset", {"av/eset-mcafee-syslog/wazuh-eset.ini"}},
      {"McAfee ePO", "antivirus.mcafee", {"av/eset-mcafee-syslog/wazuh-mcafee_epo.ini"}},
  };
  std::vector<Device> out;
  for (const Spec& s : specs) {
    Device d{s.name, s.dataset, {}, EntityShare(s.name, 1.0)};
    for (const char* rel : s.files) {
      const std::string path = Path(rel);
      if (path.empty()) return {};  // the corpus is not beside the checkout
      if (fs::path(path).extension() == ".ini") {
        for (auto& [section, line] : WazuhLines(path)) d.lines.push_back(line);
      } else {
        for (auto& line : Lines(path)) d.lines.push_back(line);
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

//! `kamatama parse [--stats] FILE` (stdout and stderr).
std::string ParseCmd(const std::string& file, bool stats) {
  int status = -1;
  std::string out = kmt_test::Shell(kmt_test::ShellQuote(KMT_BINARY) + " parse " + (stats ? "--stats " : "") +
                                        kmt_test::ShellQuote(file) + " 2>&1",
                                    &status);
  EXPECT_EQ(status, 0) << out;
  return out;
}

//! Checks one device through the binary; returns the share of its lines with an entity field.
double CheckDevice(const Device& d, const std::string& dir) {
  const std::string file = dir + "/device.log";
  {
    std::ofstream f(file, std::ios::trunc);
    for (const std::string& l : d.lines) f << l << '\n';
  }
  const std::string stats = ParseCmd(file, true);
  EXPECT_EQ(stats.find("syslog."), std::string::npos) << d.name << ":\n" << stats;
  const size_t row = stats.find("not understood by any source parser");
  EXPECT_NE(row, std::string::npos) << stats;
  if (row != std::string::npos) {
    EXPECT_EQ(std::stoul(stats.substr(row + 36)), 0u) << d.name << ":\n" << stats;
  }
  std::istringstream events(ParseCmd(file, false));
  simdjson::dom::parser p;
  size_t n = 0, with_entity = 0;
  for (std::string line; std::getline(events, line); ++n) {
    simdjson::dom::object ev;
    if (p.parse(line).get(ev)) {
      ADD_FAILURE() << d.name << ": not JSON: " << line;
      continue;
    }
    std::string_view ds;
    EXPECT_FALSE(ev["event.dataset"].get(ds)) << d.name << ": " << line;
    EXPECT_EQ(ds.rfind(d.dataset, 0), 0u) << d.name << ": " << ds << ": " << d.lines[n];
    EXPECT_FALSE(ev["event.category"].error()) << d.name << ": no event.category: " << d.lines[n];
    EXPECT_TRUE(!ev["event.action"].error() || !ev["event.outcome"].error())
        << d.name << ": no event.action or event.outcome: " << d.lines[n];
    bool entity = false;
    for (const char* f : kEntityFields) entity = entity || !ev[f].error();
    if (entity) ++with_entity;
    else if (d.entity_share >= 1.0) ADD_FAILURE() << d.name << ": no address, user, URL or file: " << d.lines[n];
    else std::printf("  %s: no entity field: %.120s\n", d.name.c_str(), d.lines[n].c_str());
  }
  EXPECT_EQ(n, d.lines.size()) << d.name;
  const double share = n ? 1.0 * with_entity / n : 0;
  std::printf("%-28s %5zu lines, %5.1f%% with an entity field\n", d.name.c_str(), n, 100.0 * share);
  return share;
}

TEST(DeviceCoverage, ShippedDefinitionsExamplesNeverFallToGeneric) {
  const std::string dir = kmt_test::TempDir("device_coverage_shipped");
  const std::vector<Device> devices = ShippedDevices();
  EXPECT_GE(devices.size(), 25u);
  for (const Device& d : devices) {
    EXPECT_GE(d.lines.size(), 1u) << d.name << " has no example";
    CheckDevice(d, dir);
  }
  fs::remove_all(dir);
}

TEST(DeviceCoverage, CorpusDeviceSamplesNeverFallToGeneric) {
  const std::vector<Device> devices = CorpusDevices();
  if (devices.empty()) GTEST_SKIP() << "the shared corpus is not beside the checkout";
  const std::string dir = kmt_test::TempDir("device_coverage_corpus");
  for (const Device& d : devices) {
    EXPECT_GE(d.lines.size(), 1u) << d.name;
    EXPECT_GE(CheckDevice(d, dir), d.entity_share) << d.name;
  }
  fs::remove_all(dir);
}

}  // namespace
