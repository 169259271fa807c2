// tests/syslog_parser_test.cc
//! ParseSyslog on RFC 5424, RFC 3164 and vendor variants, garbage, and real corpus lines;
//! ParseRecord end to end.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/time.h"
#include "parser_test_util.h"
#include "parsers/parse.h"
#include "parsers/registry.h"
#include "parsers/syslog.h"

namespace kamatama {
namespace {

using test_util::F;
using test_util::kRecv;
using test_util::T;

struct Parsed {
  bool ok;
  Event ev;
};

Parsed P(std::string_view line, int64_t received = kRecv, SyslogOptions opt = {}) {
  Parsed p;
  p.ok = ParseSyslog(line, received, opt, &p.ev);
  return p;
}

void ExpectUniqueNames(const Event& ev) {
  for (size_t i = 0; i < ev.fields.size(); ++i) {
    for (size_t j = i + 1; j < ev.fields.size(); ++j) {
      EXPECT_NE(ev.fields[i].first, ev.fields[j].first);
    }
  }
}

// ---------------------------------------------------------------- RFC 5424

TEST(Syslog5424, RfcExampleWithStructuredDataAndBom) {
  auto [ok, ev] = P(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] "
      "\xEF\xBB\xBF"
      "An application event log entry...",
      T("2003-10-11T22:14:20Z"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2003-10-11T22:14:15.003Z"));
  EXPECT_EQ(F(ev, "log.syslog.priority"), "165");
  EXPECT_EQ(F(ev, "log.syslog.facility.code"), "20");
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "local4");
  EXPECT_EQ(F(ev, "log.syslog.severity.code"), "5");
  EXPECT_EQ(F(ev, "log.syslog.severity.name"), "notice");
  EXPECT_EQ(F(ev, "log.syslog.version"), "1");
  EXPECT_EQ(F(ev, "host.name"), "mymachine.example.com");
  EXPECT_EQ(F(ev, "log.syslog.appname"), "evntslog");
  EXPECT_EQ(F(ev, "process.name"), "evntslog");
  EXPECT_EQ(F(ev, "log.syslog.procid"), "<absent>");
  EXPECT_EQ(F(ev, "process.pid"), "<absent>");
  EXPECT_EQ(F(ev, "log.syslog.msgid"), "ID47");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.exampleSDID@32473.iut"), "3");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.exampleSDID@32473.eventSource"), "Application");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.exampleSDID@32473.eventID"), "1011");
  EXPECT_EQ(F(ev, "message"), "An application event log entry...");
  EXPECT_EQ(F(ev, "tags"), "<absent>");
  ExpectUniqueNames(ev);
}

TEST(Syslog5424, RfcExampleSuWithBom) {
  auto [ok, ev] = P(
      "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
      "\xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8",
      T("2003-10-12T00:00:00Z"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "auth");
  EXPECT_EQ(F(ev, "log.syslog.severity.name"), "critical");
  EXPECT_EQ(F(ev, "process.name"), "su");
  EXPECT_EQ(F(ev, "message"), "'su root' failed for lonvick on /dev/pts/8");
}

TEST(Syslog5424, RfcExampleOffsetAndMicroseconds) {
  auto [ok, ev] = P("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
                    T("2003-08-24T12:14:16Z"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2003-08-24T12:14:15.000003Z"));
  EXPECT_EQ(F(ev, "host.name"), "192.0.2.1");
  EXPECT_EQ(F(ev, "log.syslog.procid"), "8710");
  EXPECT_EQ(F(ev, "process.pid"), "8710");
  EXPECT_EQ(F(ev, "log.syslog.msgid"), "<absent>");
  EXPECT_EQ(F(ev, "message"), "%% It's time to make the do-nuts.");
}

TEST(Syslog5424, RfcExampleTwoElementsNoMessage) {
  auto [ok, ev] = P(
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
      "[examplePriority@32473 class=\"high\"]",
      T("2003-10-12T00:00:00Z"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "log.syslog.structured_data.exampleSDID@32473.eventID"), "1011");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.examplePriority@32473.class"), "high");
  EXPECT_EQ(F(ev, "message"), "<absent>");
}

TEST(Syslog5424, AllNilValues) {
  auto [ok, ev] = P("<13>1 - - - - - -");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, kRecv);
  EXPECT_EQ(F(ev, "log.syslog.version"), "1");
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "user");
  EXPECT_EQ(F(ev, "log.syslog.severity.name"), "notice");
  for (auto name : {"host.name", "log.syslog.appname", "log.syslog.procid", "log.syslog.msgid",
                    "process.name", "process.pid", "message"}) {
    EXPECT_EQ(F(ev, name), "<absent>") << name;
  }
  auto [ok2, ev2] = P("<13>1 - - - - - - hi");
  ASSERT_TRUE(ok2);
  EXPECT_EQ(F(ev2, "message"), "hi");
}

TEST(Syslog5424, FractionsAndOffsets) {
  EXPECT_EQ(P("<13>1 2026-11-26T17:30:00.123456789+05:30 h a - - - m").ev.timestamp_ns,
            T("2026-11-26T12:00:00.123456789Z"));
  EXPECT_EQ(P("<13>1 2026-11-26T07:00:00.5-05:00 h a - - - m").ev.timestamp_ns, T("2026-11-26T12:00:00.5Z"));
  EXPECT_EQ(P("<13>1 2026-11-26T12:00:00Z h a - - - m").ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  // More than 9 fraction digits: the rest are ignored.
  EXPECT_EQ(P("<13>1 2026-11-26T12:00:00.1234567891234Z h a - - - m").ev.timestamp_ns,
            T("2026-11-26T12:00:00.123456789Z"));
}

TEST(Syslog5424, EscapesInStructuredData) {
  auto [ok, ev] = P(
      R"(<13>1 2026-11-26T12:00:00Z h app 1 - [a@1 p="x\"y\\z\]w" q="c:\n" e=""][b@2 r="[x]"] msg)");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "log.syslog.structured_data.a@1.p"), R"(x"y\z]w)");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.a@1.q"), R"(c:\n)");  // other escapes stay literal
  EXPECT_EQ(F(ev, "log.syslog.structured_data.a@1.e"), "");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.b@2.r"), "[x]");
  EXPECT_EQ(F(ev, "message"), "msg");
}

TEST(Syslog5424, MalformedStructuredDataBecomesMessage) {
  auto [ok, ev] = P(R"(<13>1 2026-11-26T12:00:00Z h app 1 - [oops no="closing quote] msg)");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "message"), R"([oops no="closing quote] msg)");
  for (const auto& [name, value] : ev.fields) EXPECT_EQ(name.find("structured_data"), std::string::npos);
  // No SD at all (non-conforming sender): the text is the message.
  EXPECT_EQ(F(P("<13>1 2026-11-26T12:00:00Z h app 1 - hello world").ev, "message"), "hello world");
}

TEST(Syslog5424, RsyslogDoubleSpaceAndTrailingNil) {
  auto [ok, ev] = P("<13>1 2026-11-26T12:00:00.000000+00:00 myhost app 99 - -  msg text");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "message"), "msg text");
  auto [ok2, ev2] = P("<13>1 2026-11-26T12:00:00Z myhost app 99 ID1 -");
  ASSERT_TRUE(ok2);
  EXPECT_EQ(F(ev2, "log.syslog.msgid"), "ID1");
  EXPECT_EQ(F(ev2, "message"), "<absent>");
  auto [ok3, ev3] = P("<13>1 2026-11-26T12:00:00Z myhost app 99 ID1");
  ASSERT_TRUE(ok3);
  EXPECT_EQ(F(ev3, "log.syslog.msgid"), "ID1");
}

TEST(Syslog5424, UtilLinuxLogger) {
  // util-linux logger 2.38: logger --rfc5424 -n host hello
  auto [ok, ev] = P(
      "<13>1 2026-11-26T12:00:00.123456+00:00 myhost root 1234 - [timeQuality tzKnown=\"1\" "
      "isSynced=\"1\" syncAccuracy=\"233500\"] hello");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00.123456Z"));
  EXPECT_EQ(F(ev, "host.name"), "myhost");
  EXPECT_EQ(F(ev, "process.name"), "root");
  EXPECT_EQ(F(ev, "process.pid"), "1234");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.timeQuality.tzKnown"), "1");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.timeQuality.isSynced"), "1");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.timeQuality.syncAccuracy"), "233500");
  EXPECT_EQ(F(ev, "message"), "hello");
}

TEST(Syslog5424, SyslogNgProtocol) {
  // syslog-ng syslog() destination.
  auto [ok, ev] = P("<38>1 2026-11-26T13:00:00+01:00 myhost sshd 1234 - [meta sequenceId=\"7\"] Accepted key");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "auth");
  EXPECT_EQ(F(ev, "log.syslog.severity.name"), "informational");
  EXPECT_EQ(F(ev, "log.syslog.structured_data.meta.sequenceId"), "7");
  EXPECT_EQ(F(ev, "message"), "Accepted key");
}

TEST(Syslog5424, FutureTimestampIsClamped) {
  auto [ok, ev] = P("<13>1 2027-06-01T00:00:00Z h app - - - msg");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, kRecv);
  EXPECT_EQ(F(ev, "tags"), "timestamp_in_future");
  EXPECT_EQ(F(ev, "message"), "msg");
  // Within the margin: kept.
  auto [ok2, ev2] = P("<13>1 2026-11-27T12:00:00Z h app - - - msg");
  EXPECT_EQ(ev2.timestamp_ns, T("2026-11-27T12:00:00Z"));
  EXPECT_EQ(F(ev2, "tags"), "<absent>");
}

TEST(Syslog5424, FacilityAndSeverityNames) {
  EXPECT_EQ(F(P("<0>1 - - - - - -").ev, "log.syslog.facility.name"), "kern");
  EXPECT_EQ(F(P("<0>1 - - - - - -").ev, "log.syslog.severity.name"), "emergency");
  EXPECT_EQ(F(P("<191>1 - - - - - -").ev, "log.syslog.facility.name"), "local7");
  EXPECT_EQ(F(P("<191>1 - - - - - -").ev, "log.syslog.severity.name"), "debug");
  EXPECT_EQ(F(P("<124>1 - - - - - -").ev, "log.syslog.facility.name"), "solaris-cron");
  EXPECT_EQ(F(P("<124>1 - - - - - -").ev, "log.syslog.severity.name"), "warning");
  EXPECT_EQ(SyslogFacilityName(10), "authpriv");
  EXPECT_EQ(SyslogFacilityName(24), "");
  EXPECT_EQ(SyslogSeverityName(3), "error");
}

// ---------------------------------------------------------------- RFC 3164

TEST(Syslog3164, RsyslogForward) {
  auto [ok, ev] = P("<13>Nov 26 12:00:00 myhost tag[99]: msg");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "log.syslog.priority"), "13");
  EXPECT_EQ(F(ev, "host.name"), "myhost");
  EXPECT_EQ(F(ev, "log.syslog.appname"), "tag");
  EXPECT_EQ(F(ev, "process.name"), "tag");
  EXPECT_EQ(F(ev, "log.syslog.procid"), "99");
  EXPECT_EQ(F(ev, "process.pid"), "99");
  EXPECT_EQ(F(ev, "log.syslog.version"), "<absent>");
  EXPECT_EQ(F(ev, "message"), "msg");
  ExpectUniqueNames(ev);
}

TEST(Syslog3164, SyslogNgBsd) {
  auto [ok, ev] = P("<38>Nov 26 12:00:00 myhost sshd[1234]: Accepted publickey for root");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "auth");
  EXPECT_EQ(F(ev, "process.name"), "sshd");
  EXPECT_EQ(F(ev, "message"), "Accepted publickey for root");
}

TEST(Syslog3164, MissingHostname) {
  auto [ok, ev] = P("<13>Nov 26 12:00:00 sshd[12]: msg");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "host.name"), "<absent>");
  EXPECT_EQ(F(ev, "process.name"), "sshd");
  EXPECT_EQ(F(ev, "process.pid"), "12");
  EXPECT_EQ(F(ev, "message"), "msg");
  auto [ok2, ev2] = P("<13>Nov 26 12:00:00 CRON: job done");
  ASSERT_TRUE(ok2);
  EXPECT_EQ(F(ev2, "host.name"), "<absent>");
  EXPECT_EQ(F(ev2, "process.name"), "CRON");
  EXPECT_EQ(F(ev2, "message"), "job done");
}

TEST(Syslog3164, ProgramWithAndWithoutPid) {
  auto [ok, ev] = P("<13>Nov 26 12:00:00 h1 program: text here");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "host.name"), "h1");
  EXPECT_EQ(F(ev, "process.name"), "program");
  EXPECT_EQ(F(ev, "process.pid"), "<absent>");
  EXPECT_EQ(F(ev, "message"), "text here");
  auto [ok2, ev2] = P("<13>Nov 26 12:00:00 h1 postfix/smtpd[26897]: NOQUEUE: reject");
  EXPECT_EQ(F(ev2, "process.name"), "postfix/smtpd");
  EXPECT_EQ(F(ev2, "process.pid"), "26897");
  EXPECT_EQ(F(ev2, "message"), "NOQUEUE: reject");
  // Non-numeric procid: kept, but no process.pid.
  auto [ok3, ev3] = P("<13>Nov 26 12:00:00 h1 app[worker-1]: x");
  EXPECT_EQ(F(ev3, "log.syslog.procid"), "worker-1");
  EXPECT_EQ(F(ev3, "process.pid"), "<absent>");
  // No tag at all: the rest after the host is the message.
  auto [ok4, ev4] = P("<13>Nov 26 12:00:00 h1 just some text");
  EXPECT_EQ(F(ev4, "host.name"), "h1");
  EXPECT_EQ(F(ev4, "process.name"), "<absent>");
  EXPECT_EQ(F(ev4, "message"), "just some text");
  // A URL in the message is not a tag.
  auto [ok5, ev5] = P("<13>Nov 26 12:00:00 h1 http://x/ fetched");
  EXPECT_EQ(F(ev5, "process.name"), "<absent>");
  EXPECT_EQ(F(ev5, "message"), "http://x/ fetched");
}

TEST(Syslog3164, SingleDigitDay) {
  auto [ok1, ev1] = P("<13>Nov  5 01:02:03 h t: m");
  auto [ok2, ev2] = P("<13>Nov 5 01:02:03 h t: m");
  auto [ok3, ev3] = P("<13>Nov 05 01:02:03 h t: m");
  ASSERT_TRUE(ok1 && ok2 && ok3);
  EXPECT_EQ(ev1.timestamp_ns, T("2026-11-05T01:02:03Z"));
  EXPECT_EQ(ev2.timestamp_ns, T("2026-11-05T01:02:03Z"));
  EXPECT_EQ(ev3.timestamp_ns, T("2026-11-05T01:02:03Z"));
  EXPECT_EQ(F(ev1, "host.name"), "h");
  EXPECT_EQ(F(ev2, "host.name"), "h");
}

TEST(Syslog3164, YearRollover) {
  auto [ok, ev] = P("<13>Dec 31 23:59:59 h t: m", T("2027-01-01T00:00:05Z"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-12-31T23:59:59Z"));
  // The other way: a sender clock slightly ahead across New Year stays in the new year.
  EXPECT_EQ(P("<13>Jan  1 00:00:03 h t: m", T("2026-12-31T23:59:59Z")).ev.timestamp_ns,
            T("2027-01-01T00:00:03Z"));
}

TEST(Syslog3164, FutureWithinMarginStaysInYear) {
  const int64_t recv = T("2026-11-26T00:00:00Z");
  EXPECT_EQ(P("<13>Nov 26 23:00:00 h t: m", recv).ev.timestamp_ns, T("2026-11-26T23:00:00Z"));
  // Beyond the margin: last year.
  EXPECT_EQ(P("<13>Nov 28 00:00:00 h t: m", recv).ev.timestamp_ns, T("2025-11-28T00:00:00Z"));
  // A smaller margin moves it too.
  SyslogOptions tight;
  tight.future_margin_ns = 3600 * kNanosPerSecond;
  EXPECT_EQ(P("<13>Nov 26 23:00:00 h t: m", recv, tight).ev.timestamp_ns, T("2025-11-26T23:00:00Z"));
  // Inferred years are never tagged as future.
  EXPECT_EQ(F(P("<13>Nov 28 00:00:00 h t: m", recv).ev, "tags"), "<absent>");
}

TEST(Syslog3164, LeapDay) {
  EXPECT_EQ(P("<13>Feb 29 12:00:00 h t: m", T("2027-03-01T00:00:00Z")).ev.timestamp_ns,
            T("2024-02-29T12:00:00Z"));
  EXPECT_EQ(P("<13>Feb 29 12:00:00 h t: m", T("2028-03-01T00:00:00Z")).ev.timestamp_ns,
            T("2028-02-29T12:00:00Z"));
}

TEST(Syslog3164, YearAndFractionForms) {
  auto [ok, ev] = P("<13>Nov 26 2026 12:00:00 h t: m");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "host.name"), "h");
  EXPECT_EQ(P("<13>Nov 26 12:00:00.123 h t: m").ev.timestamp_ns, T("2026-11-26T12:00:00.123Z"));
  EXPECT_EQ(P("<13>Nov 26 2019 12:00:00.123456 h t: m").ev.timestamp_ns, T("2019-11-26T12:00:00.123456Z"));
  // An explicit year in the future is clamped.
  auto [ok2, ev2] = P("<13>Nov 26 2031 12:00:00 h t: m");
  EXPECT_EQ(ev2.timestamp_ns, kRecv);
  EXPECT_EQ(F(ev2, "tags"), "timestamp_in_future");
}

TEST(Syslog3164, IsoTimestamp) {
  auto [ok, ev] = P("<13>2026-11-26T12:00:00.123+01:00 host tag: msg");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T11:00:00.123Z"));
  EXPECT_EQ(F(ev, "host.name"), "host");
  EXPECT_EQ(F(ev, "process.name"), "tag");
  EXPECT_EQ(F(ev, "message"), "msg");
  EXPECT_EQ(F(ev, "log.syslog.version"), "<absent>");
  // Without PRI (file written with RSYSLOG_FileFormat).
  auto [ok2, ev2] = P("2026-11-26T12:00:00.123456+00:00 host sshd[5]: msg");
  ASSERT_TRUE(ok2);
  EXPECT_EQ(ev2.timestamp_ns, T("2026-11-26T12:00:00.123456Z"));
  EXPECT_EQ(F(ev2, "log.syslog.priority"), "<absent>");
  EXPECT_EQ(F(ev2, "process.pid"), "5");
}

TEST(Syslog3164, NoPri) {
  auto [ok, ev] = P("Nov 26 12:00:00 myhost sshd[1]: Failed password");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "host.name"), "myhost");
  EXPECT_EQ(F(ev, "process.name"), "sshd");
  EXPECT_EQ(F(ev, "message"), "Failed password");
  for (auto name : {"log.syslog.priority", "log.syslog.facility.code", "log.syslog.facility.name",
                    "log.syslog.severity.code", "log.syslog.severity.name"}) {
    EXPECT_EQ(F(ev, name), "<absent>") << name;
  }
}

TEST(Syslog3164, PriOnlyBody) {
  auto [ok, ev] = P("<13>free form text");
  ASSERT_TRUE(ok);
  EXPECT_EQ(F(ev, "log.syslog.priority"), "13");
  EXPECT_EQ(F(ev, "message"), "free form text");
  EXPECT_EQ(ev.timestamp_ns, kRecv);
}

TEST(SyslogCisco, AsaForms) {
  auto [ok, ev] = P("<166>Nov 26 2026 12:00:00: %ASA-6-302013: Built outbound TCP connection 1");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "local4");
  EXPECT_EQ(F(ev, "log.syslog.severity.name"), "informational");
  EXPECT_EQ(F(ev, "host.name"), "<absent>");
  EXPECT_EQ(F(ev, "process.name"), "<absent>");
  EXPECT_EQ(F(ev, "message"), "%ASA-6-302013: Built outbound TCP connection 1");

  auto [ok2, ev2] = P("<166>Nov 26 12:00:00 fw01 : %ASA-6-302013: Built");
  ASSERT_TRUE(ok2);
  EXPECT_EQ(ev2.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev2, "host.name"), "fw01");
  EXPECT_EQ(F(ev2, "process.name"), "<absent>");
  EXPECT_EQ(F(ev2, "message"), "%ASA-6-302013: Built");

  auto [ok3, ev3] = P("Apr 15 2014 09:34:34 EDT: %ASA-session-5-106100: access-list acl_in permitted");
  ASSERT_TRUE(ok3);
  EXPECT_EQ(ev3.timestamp_ns, T("2014-04-15T09:34:34Z"));
  EXPECT_EQ(F(ev3, "host.name"), "<absent>");
  EXPECT_EQ(F(ev3, "message"), "%ASA-session-5-106100: access-list acl_in permitted");

  auto [ok4, ev4] = P("<166>Nov 26 12:00:00 fw01: %ASA-4-106023: Deny tcp");
  EXPECT_EQ(F(ev4, "host.name"), "fw01");
  EXPECT_EQ(F(ev4, "message"), "%ASA-4-106023: Deny tcp");

  auto [ok5, ev5] = P("<166>Nov 26 12:00:00 10.1.1.1: %ASA-4-106023: Deny tcp");
  EXPECT_EQ(F(ev5, "host.name"), "10.1.1.1");
  EXPECT_EQ(F(ev5, "message"), "%ASA-4-106023: Deny tcp");
}

TEST(SyslogFortinet, DateTimeKeys) {
  const std::string body =
      "date=2026-11-26 time=11:59:58 devname=\"FGT60\" devid=\"FGT60E\" logid=\"0000000013\" "
      "type=\"traffic\" srcip=10.0.0.1";
  auto [ok, ev] = P("<189>" + body);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T11:59:58Z"));
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "local7");
  EXPECT_EQ(F(ev, "log.syslog.severity.name"), "notice");
  EXPECT_EQ(F(ev, "host.name"), "<absent>");
  EXPECT_EQ(F(ev, "message"), body);
  // No date=/time=: received time, still syslog.
  auto [ok2, ev2] = P("<189>logver=1 devname=\"x\" type=\"event\"");
  ASSERT_TRUE(ok2);
  EXPECT_EQ(ev2.timestamp_ns, kRecv);
  EXPECT_EQ(F(ev2, "message"), "logver=1 devname=\"x\" type=\"event\"");
  // Keys in another order, quoted values.
  EXPECT_EQ(P("<189>logver=1 date=\"2026-11-26\" time=\"10:00:00\" x=1").ev.timestamp_ns,
            T("2026-11-26T10:00:00Z"));
  // No PRI (from a file): accepted when it starts with date=.
  auto [ok3, ev3] = P(body);
  ASSERT_TRUE(ok3);
  EXPECT_EQ(ev3.timestamp_ns, T("2026-11-26T11:59:58Z"));
  EXPECT_EQ(F(ev3, "message"), body);
}

// ---------------------------------------------------------------- garbage

TEST(SyslogGarbage, NotSyslog) {
  for (std::string_view line : {std::string_view("hello world"), std::string_view("<"),
                                std::string_view("<999>Nov 26 12:00:00 h t: m"), std::string_view("<>x"),
                                std::string_view("<1234>1 - - - - - -"), std::string_view("<13"),
                                std::string_view("Nov 26 1x:00:00 h t: m"),
                                std::string_view("Nov 32 12:00:00 h t: m"),
                                std::string_view("Feb 30 12:00:00 h t: m"),
                                std::string_view("2026-11-26 12:00:00 exim line")}) {
    Event ev;
    ev.timestamp_ns = 1;
    EXPECT_FALSE(ParseSyslog(line, kRecv, {}, &ev)) << line;
    EXPECT_EQ(ev.timestamp_ns, kRecv);
    ASSERT_EQ(ev.fields.size(), 1u) << line;
    EXPECT_EQ(F(ev, "message"), std::string(line));
  }
  Event empty;
  EXPECT_FALSE(ParseSyslog("", kRecv, {}, &empty));
  EXPECT_TRUE(empty.fields.empty());
  EXPECT_EQ(empty.timestamp_ns, kRecv);
}

TEST(SyslogGarbage, TruncatedHeaders) {
  const std::string full =
      "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 12 ID47 "
      "[exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\"ication\"][x y=\"1\"] \xEF\xBB\xBFmsg";
  const std::string bsd = "<13>Nov 26 2026 12:00:00.123 myhost tag[99]: msg";
  for (const std::string& line : {full, bsd}) {
    for (size_t n = 0; n <= line.size(); ++n) {
      std::string cut = line.substr(0, n);
      Event ev;
      bool ok = ParseSyslog(cut, kRecv, {}, &ev);
      if (n > line.find('>')) {
        EXPECT_TRUE(ok) << cut;  // a valid PRI makes it syslog
        EXPECT_NE(ev.Get("log.syslog.priority"), nullptr) << cut;
      }
      ExpectUniqueNames(ev);
    }
  }
  auto [ok, ev] = P("<13>1 ");
  EXPECT_TRUE(ok);
  EXPECT_EQ(F(ev, "log.syslog.priority"), "13");
  EXPECT_EQ(ev.timestamp_ns, kRecv);
}

TEST(SyslogGarbage, UnrepresentableYears) {
  // int64 nanoseconds end in 2262: such times are not times (and must not overflow).
  auto [ok, ev] = P("<13>Nov 26 9999 12:00:00 h t: m");
  EXPECT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, kRecv);
  EXPECT_EQ(F(ev, "message"), "Nov 26 9999 12:00:00 h t: m");
  auto [ok2, ev2] = P("<13>1 9999-12-31T23:59:59Z h a - - - m");
  EXPECT_TRUE(ok2);
  EXPECT_EQ(ev2.timestamp_ns, kRecv);
  EXPECT_EQ(P("<13>0001-01-01T00:00:00Z h t: m").ev.timestamp_ns, kRecv);
  EXPECT_FALSE(P("Dec 31 0000 23:59:59 h t: m").ok);
  SyslogOptions far;
  far.future_margin_ns = INT64_MAX;
  EXPECT_TRUE(P("<13>Dec 31 23:59:59 h t: m", INT64_MAX - 5, far).ok);
  EXPECT_TRUE(P("<13>Dec 31 23:59:59 h t: m", INT64_MIN + 5, far).ok);
  EXPECT_TRUE(P("<13>1 2026-11-26T12:00:00Z h a - - - m", INT64_MIN, far).ok);
}

TEST(SyslogGarbage, BinaryNulAndInvalidUtf8) {
  static constexpr char kNul[] = "<13>Nov 26 12:00:00 h\0st t\0g: m\0sg";
  const std::string nul(kNul, sizeof kNul - 1);
  auto [ok, ev] = P(nul);
  EXPECT_TRUE(ok);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  const std::string bad = "<13>Nov 26 12:00:00 h\xff\xfe t\xc3: \x80\xc0\xaf msg";
  auto [ok2, ev2] = P(bad);
  EXPECT_TRUE(ok2);
  EXPECT_EQ(F(ev2, "host.name"), "h\xff\xfe");
  EXPECT_EQ(F(ev2, "message"), "\x80\xc0\xaf msg");
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  auto [ok3, ev3] = P(binary);
  EXPECT_FALSE(ok3);
  EXPECT_EQ(F(ev3, "message"), binary);
}

TEST(SyslogGarbage, HugeLines) {
  const std::string xs(64 * 1024, 'x');
  auto [ok, ev] = P(xs);
  EXPECT_FALSE(ok);
  EXPECT_EQ(F(ev, "message").size(), xs.size());
  auto [ok2, ev2] = P("<13>Nov 26 12:00:00 h t: " + xs);
  EXPECT_TRUE(ok2);
  EXPECT_EQ(F(ev2, "message"), xs);
  auto [ok3, ev3] = P("<13>Nov 26 12:00:00 " + xs);
  EXPECT_TRUE(ok3);
  EXPECT_EQ(F(ev3, "host.name"), xs);
  auto [ok4, ev4] = P("<13>1 - " + xs + " " + xs + " - - [" + xs);
  EXPECT_TRUE(ok4);
  std::string brackets(64 * 1024, '[');
  EXPECT_TRUE(P("<13>1 - h a - - " + brackets).ok);
}

TEST(SyslogGarbage, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  const std::string alphabet = "<>[]=\"\\ :-.0123456789TZ+Nov Dec Jan%ASAdate=time=\xEF\xBB\xBF\xff";
  for (int round = 0; round < 20000; ++round) {
    std::string line;
    size_t len = rng() % 80;
    if (round % 3 == 0) line = "<13>";
    if (round % 5 == 0) line += "1 ";
    for (size_t i = 0; i < len; ++i) {
      line.push_back(round % 2 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng()));
    }
    Event ev;
    ParseSyslog(line, kRecv, {}, &ev);
    ExpectUniqueNames(ev);
  }
}

TEST(SyslogGarbage, MutatedValidLinesNeverCrash) {
  const std::vector<std::string> seeds = {
      "<165>1 2003-10-11T22:14:15.003Z mymachine evntslog 12 ID47 [a@1 p=\"x\\\"y\"][b c=\"d\"] \xEF\xBB\xBFmsg",
      "<13>Nov  5 12:00:00.123 myhost tag[99]: msg",
      "<166>Nov 26 2026 12:00:00: %ASA-6-302013: Built",
      "<13>2026-11-26T12:00:00.123+01:00 host tag: msg",
      "<189>date=2026-11-26 time=12:00:00 devname=\"x\"",
      "Apr 15 2014 09:34:34 EDT: %ASA-session-5-106100: x"};
  std::mt19937 rng(7);
  for (int round = 0; round < 30000; ++round) {
    std::string line = seeds[round % seeds.size()];
    for (int m = 1 + rng() % 3; m > 0 && !line.empty(); --m) {
      size_t at = rng() % line.size();
      switch (rng() % 3) {
        case 0: line[at] = static_cast<char>(rng()); break;
        case 1: line.erase(at, 1 + rng() % 4); break;
        default: line.insert(at, 1, " :[]\"\\-0"[rng() % 8]); break;
      }
    }
    Event ev;
    ParseSyslog(line, kRecv, {}, &ev);
    ExpectUniqueNames(ev);
  }
}

TEST(SyslogOutput, SetsOverExistingFields) {
  Event ev;
  ev.Set("host.name", "old");
  ev.Set("message", "old");
  ASSERT_TRUE(ParseSyslog("<13>Nov 26 12:00:00 new t: m", kRecv, {}, &ev));
  EXPECT_EQ(F(ev, "host.name"), "new");
  EXPECT_EQ(F(ev, "message"), "m");
  ExpectUniqueNames(ev);
}

// ---------------------------------------------------------------- real corpus

std::vector<std::string> ReadLines(const std::string& rel) {
  std::ifstream in(std::string(KMT_SOURCE_DIR) + "/../shared/corpus/" + rel, std::ios::binary);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

#define CORPUS_OR_SKIP(var, rel)                          \
  auto var = ReadLines(rel);                              \
  if (var.empty()) GTEST_SKIP() << "corpus absent: " << rel

TEST(SyslogCorpus, SshdAuthLog) {
  CORPUS_OR_SKIP(lines, "auth/linux-sshd-pam/crowdsec-sshd-logs.log");
  const int64_t recv = T("2026-03-01T00:00:00Z");
  for (const auto& line : lines) {
    Event ev;
    EXPECT_TRUE(ParseSyslog(line, recv, {}, &ev)) << line;
    EXPECT_NE(ev.Get("process.name"), nullptr) << line;
  }
  Event ev;
  ASSERT_TRUE(ParseSyslog(lines[0], recv, {}, &ev));
  EXPECT_EQ(ev.timestamp_ns, T("2026-02-12T14:10:21Z"));
  EXPECT_EQ(F(ev, "host.name"), "sd-126005");
  EXPECT_EQ(F(ev, "process.name"), "sshd");
  EXPECT_EQ(F(ev, "process.pid"), "16378");
  EXPECT_EQ(F(ev, "message"), "Invalid user pascal from 35.188.49.176 port 53502");
}

TEST(SyslogCorpus, LoghubOpenSshAndLinux) {
  CORPUS_OR_SKIP(ssh, "auth/linux-sshd-pam/loghub-OpenSSH_2k.log");
  CORPUS_OR_SKIP(linux_log, "auth/linux-sshd-pam/loghub-Linux_2k.log");
  const int64_t recv = T("2026-12-31T00:00:00Z");
  size_t with_pid = 0;
  for (const auto* lines : {&ssh, &linux_log}) {
    for (const auto& line : *lines) {
      Event ev;
      EXPECT_TRUE(ParseSyslog(line, recv, {}, &ev)) << line;
      EXPECT_NE(ev.Get("host.name"), nullptr) << line;
      if (ev.Get("process.pid")) ++with_pid;
    }
  }
  EXPECT_GT(with_pid, 3000u);
  Event ev;
  ASSERT_TRUE(ParseSyslog(linux_log[0], recv, {}, &ev));
  EXPECT_EQ(ev.timestamp_ns, T("2026-06-14T15:16:01Z"));
  EXPECT_EQ(F(ev, "host.name"), "combo");
  EXPECT_EQ(F(ev, "process.name"), "sshd(pam_unix)");
  EXPECT_EQ(F(ev, "process.pid"), "19939");
}

TEST(SyslogCorpus, PfsenseRfc5424) {
  CORPUS_OR_SKIP(lines, "firewall/pfsense-filterlog/crowdsec-pfsense-rfc5424-filterlog.log");
  const int64_t recv = T("2025-11-07T00:00:00Z");
  for (const auto& line : lines) {
    Event ev;
    EXPECT_TRUE(ParseSyslog(line, recv, {}, &ev)) << line;
    EXPECT_EQ(F(ev, "process.name"), "filterlog");
    EXPECT_EQ(F(ev, "log.syslog.version"), "1");
  }
  Event ev;
  ASSERT_TRUE(ParseSyslog(lines[0], recv, {}, &ev));
  EXPECT_EQ(ev.timestamp_ns, T("2025-11-06T11:32:42.868451Z"));
  EXPECT_EQ(F(ev, "host.name"), "firewall.lan");
  EXPECT_EQ(F(ev, "process.pid"), "92653");
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "local0");
  EXPECT_EQ(F(ev, "log.syslog.severity.name"), "informational");
  EXPECT_EQ(F(ev, "message").substr(0, 35), "7,,,1000000102,vtnet0.5,match,block");
}

TEST(SyslogCorpus, PfMixed3164And5424) {
  CORPUS_OR_SKIP(lines, "firewall/pfsense-filterlog/crowdsec-pf-logs.log");
  const int64_t recv = T("2022-09-30T00:00:00Z");
  size_t with_sd = 0;
  for (const auto& line : lines) {
    Event ev;
    EXPECT_TRUE(ParseSyslog(line, recv, {}, &ev)) << line;
    EXPECT_EQ(F(ev, "process.name"), "filterlog") << line;
    if (ev.Get("log.syslog.structured_data.meta.sequenceId")) ++with_sd;
  }
  EXPECT_GT(with_sd, 0u);
  Event ev;
  ASSERT_TRUE(ParseSyslog(lines[0], recv, {}, &ev));
  EXPECT_EQ(ev.timestamp_ns, T("2022-09-28T10:38:09Z"));
  EXPECT_EQ(F(ev, "host.name"), "pfSense");
  Event ev5;
  ASSERT_TRUE(ParseSyslog(lines[3], recv, {}, &ev5));
  EXPECT_EQ(ev5.timestamp_ns, T("2022-09-06T16:37:34Z"));
  EXPECT_EQ(F(ev5, "host.name"), "opnsense");
  EXPECT_EQ(F(ev5, "log.syslog.structured_data.meta.sequenceId"), "2633353");
  EXPECT_EQ(F(ev5, "message").substr(0, 6), "10,,,0");
}

TEST(SyslogCorpus, CiscoAsa) {
  CORPUS_OR_SKIP(lines, "firewall/cisco-asa/elastic-test-sample.log");
  const int64_t recv = T("2024-01-01T00:00:00Z");
  for (const auto& line : lines) {
    Event ev;
    EXPECT_TRUE(ParseSyslog(line, recv, {}, &ev)) << line;
    EXPECT_EQ(F(ev, "message").substr(0, 5), "%ASA-") << line;
    EXPECT_NE(ev.timestamp_ns, recv) << line;
  }
  Event ev;
  ASSERT_TRUE(ParseSyslog(lines[0], recv, {}, &ev));
  EXPECT_EQ(ev.timestamp_ns, T("2013-04-15T09:36:50Z"));
  EXPECT_EQ(F(ev, "host.name"), "<absent>");
  Event ev2;
  ASSERT_TRUE(ParseSyslog(lines[3], recv, {}, &ev2));
  EXPECT_EQ(ev2.timestamp_ns, T("2013-04-24T16:00:28Z"));
  EXPECT_EQ(F(ev2, "host.name"), "INT-FW01");
}

TEST(SyslogCorpus, Fortigate) {
  CORPUS_OR_SKIP(lines, "firewall/fortigate-kv/wazuh-engine-fortinet-firewall_input.txt");
  for (const auto& line : lines) {
    Event ev;
    EXPECT_TRUE(ParseSyslog(line, kRecv, {}, &ev)) << line;
    EXPECT_EQ(F(ev, "message"), line);
  }
  Event ev;
  ASSERT_TRUE(ParseSyslog(lines[0], kRecv, {}, &ev));
  EXPECT_EQ(ev.timestamp_ns, T("2020-04-23T12:32:48Z"));
}

TEST(SyslogCorpus, PfsenseDhcpNoHostname) {
  CORPUS_OR_SKIP(lines, "dhcp/isc-dhcpd/elastic-test-pfsense-dhcp.log");
  const int64_t recv = T("2021-08-01T00:00:00Z");
  for (const auto& line : lines) {
    Event ev;
    EXPECT_TRUE(ParseSyslog(line, recv, {}, &ev)) << line;
    EXPECT_NE(ev.Get("process.pid"), nullptr) << line;
  }
  Event ev;
  ASSERT_TRUE(ParseSyslog(lines[0], recv, {}, &ev));
  EXPECT_EQ(ev.timestamp_ns, T("2021-07-04T09:39:40Z"));
  EXPECT_EQ(F(ev, "host.name"), "<absent>");
  EXPECT_EQ(F(ev, "process.name"), "dhcpd");
  EXPECT_EQ(F(ev, "process.pid"), "64305");
  EXPECT_EQ(F(ev, "log.syslog.facility.name"), "local7");
  EXPECT_EQ(F(ev, "message"), "DHCPDISCOVER from 4c:55:41:a0:fa:99 via eth0.60");
}

TEST(SyslogCorpus, IptablesVariants) {
  CORPUS_OR_SKIP(lines, "firewall/iptables/elastic-test-iptables-raw.log");
  const int64_t recv = T("2021-12-31T00:00:00Z");
  Event iso;
  ASSERT_TRUE(ParseSyslog(lines[1], recv, {}, &iso));
  EXPECT_EQ(iso.timestamp_ns, T("2021-03-12T14:10:18Z"));
  EXPECT_EQ(F(iso, "log.syslog.severity.name"), "informational");
  EXPECT_EQ(F(iso, "host.name"), "Hostname");
  EXPECT_EQ(F(iso, "process.name"), "kernel");
  EXPECT_EQ(F(iso, "message").substr(0, 28), "[wan-lan-default-D]IN=eth0 O");
  for (const auto& line : lines) {
    Event ev;
    EXPECT_TRUE(ParseSyslog(line, recv, {}, &ev)) << line;
  }
}

// ---------------------------------------------------------------- ParseRecord

RawRecord Rec(std::string data, uint8_t flags = 0) {
  RawRecord r;
  r.received_ns = kRecv;
  r.data = std::move(data);
  r.observer = "192.0.2.7";
  r.flags = flags;
  return r;
}

TEST(ParseRecord, SyslogEnvelope) {
  Event ev = ParseRecord(Rec("<13>Nov 26 12:00:00 myhost tag[99]: msg"), {});
  EXPECT_EQ(ev.original, "<13>Nov 26 12:00:00 myhost tag[99]: msg");
  EXPECT_EQ(ev.ingested_ns, kRecv);
  EXPECT_EQ(ev.timestamp_ns, T("2026-11-26T12:00:00Z"));
  EXPECT_EQ(F(ev, "observer.ip"), "192.0.2.7");
  EXPECT_EQ(F(ev, "event.dataset"), "syslog.generic");
  EXPECT_EQ(F(ev, "message"), "msg");
  ExpectUniqueNames(ev);
}

TEST(ParseRecord, RawAndJsonDetection) {
  Event raw = ParseRecord(Rec("just a line"), {});
  EXPECT_EQ(F(raw, "event.dataset"), "syslog.raw");
  EXPECT_EQ(F(raw, "message"), "just a line");
  EXPECT_EQ(raw.timestamp_ns, kRecv);

  Event js = ParseRecord(Rec("  {\"message\":\"hi\",\"@timestamp\":\"2026-11-26T11:00:00Z\"}"), {});
  EXPECT_EQ(F(js, "event.dataset"), "syslog.json");
  EXPECT_EQ(F(js, "message"), "hi");
  EXPECT_EQ(js.timestamp_ns, T("2026-11-26T11:00:00Z"));
  EXPECT_EQ(F(js, "observer.ip"), "192.0.2.7");

  Event ds = ParseRecord(Rec("{\"event\":{\"dataset\":\"suricata.eve\"},\"x\":1}"), {});
  EXPECT_EQ(F(ds, "event.dataset"), "suricata.eve");
  EXPECT_EQ(F(ds, "x"), "1");

  // Starts with '{' but is not JSON: plain text.
  Event notjson = ParseRecord(Rec("{not json"), {});
  EXPECT_EQ(F(notjson, "event.dataset"), "syslog.raw");
  EXPECT_EQ(F(notjson, "message"), "{not json");
  EXPECT_EQ(F(notjson, "error.message"), "<absent>");

  // The sender said JSON but it is not: syslog/raw handling plus an error.
  Event claimed = ParseRecord(Rec("<13>Nov 26 12:00:00 h t: m", kRawJson), {});
  EXPECT_EQ(F(claimed, "event.dataset"), "syslog.generic");
  EXPECT_EQ(F(claimed, "message"), "m");
  EXPECT_NE(F(claimed, "error.message").find("JSON"), std::string::npos);
  // kRawJson on an object that does not start with '{' after spaces is still JSON.
  Event flagged = ParseRecord(Rec("\n{\"a\":true}", kRawJson), {});
  EXPECT_EQ(F(flagged, "event.dataset"), "syslog.json");
  EXPECT_EQ(F(flagged, "a"), "true");
}

TEST(ParseRecord, Truncated) {
  std::string data = "<13>Nov 26 12:00:00 h t: " + std::string(1000, 'y');
  Event ev = ParseRecord(Rec(data, kRawTruncated), {});
  EXPECT_EQ(F(ev, "tags"), "truncated");
  EXPECT_EQ(F(ev, "error.message"), "line truncated at " + std::to_string(data.size()) + " bytes");
  EXPECT_EQ(F(ev, "event.dataset"), "syslog.generic");
  Event js = ParseRecord(Rec("{\"a\":\"b", kRawTruncated | kRawJson), {});
  EXPECT_EQ(F(js, "tags"), "truncated");
  EXPECT_EQ(F(js, "error.message"), "line truncated at 7 bytes");
  EXPECT_EQ(F(js, "event.dataset"), "syslog.raw");
}

TEST(ParseRecord, Deterministic) {
  std::vector<RawRecord> recs = {
      Rec("<13>Dec 31 23:59:59 h t: m"), Rec("<13>1 2031-01-01T00:00:00Z h a - - - future"),
      Rec("{\"a\":{\"b\":[1,2]},\"ts\":1732622400.5}"), Rec("garbage \xff"),
      Rec("{\"x\":1", kRawTruncated)};
  for (const auto& r : recs) {
    Event a = ParseRecord(r, {});
    Event b = ParseRecord(r, {});
    EXPECT_EQ(a.timestamp_ns, b.timestamp_ns);
    EXPECT_EQ(a.ingested_ns, b.ingested_ns);
    EXPECT_EQ(a.original, b.original);
    EXPECT_EQ(a.fields, b.fields);
  }
}

// A registry of its own, so the global one stays as shipped.
bool LooksLikeFoo(std::string_view m) { return m.substr(0, 4) == "FOO:"; }
bool ParseFoo(Event* ev) {
  const std::string* m = ev->Get("message");
  if (!m || m->find("reject") != std::string::npos) return false;
  ev->Set("event.dataset", "foo");
  ev->Set("foo.seen", "1");
  return true;
}
bool LooksLikeBar(std::string_view m) { return m.find("bar") != std::string_view::npos; }
bool ParseBar(Event* ev) {
  ev->Set("event.dataset", "bar");
  return true;
}

TEST(Registry, ChooseByProgramThenContent) {
  ParserRegistry reg;
  reg.Register({"foo", {"FooD", "foo-helper"}, &LooksLikeFoo, &ParseFoo});
  reg.Register({"bar", {}, &LooksLikeBar, &ParseBar});
  EXPECT_EQ(reg.Datasets(), (std::vector<std::string>{"foo", "bar"}));
  ASSERT_NE(reg.ByDataset("bar"), nullptr);
  EXPECT_EQ(reg.ByDataset("bar")->dataset, "bar");
  EXPECT_EQ(reg.ByDataset("baz"), nullptr);

  Event ev;
  ParseSyslog("<13>Nov 26 12:00:00 h FOOD[1]: has bar", kRecv, {}, &ev);
  ASSERT_NE(reg.Choose(ev), nullptr);
  EXPECT_EQ(reg.Choose(ev)->dataset, "foo");  // program beats content

  Event slash;
  ParseSyslog("<13>Nov 26 12:00:00 h food/worker[1]: x", kRecv, {}, &slash);
  ASSERT_NE(reg.Choose(slash), nullptr);
  EXPECT_EQ(reg.Choose(slash)->dataset, "foo");

  Event content;
  ParseSyslog("<13>Nov 26 12:00:00 h other: FOO: and bar", kRecv, {}, &content);
  EXPECT_EQ(reg.Choose(content)->dataset, "foo");  // first looks_like in registration order

  Event none;
  ParseSyslog("<13>Nov 26 12:00:00 h other: nothing", kRecv, {}, &none);
  EXPECT_EQ(reg.Choose(none), nullptr);

  // Re-registering a dataset replaces it and keeps pointers stable.
  const SourceParser* bar = reg.ByDataset("bar");
  reg.Register({"foo", {"newfoo"}, nullptr, &ParseFoo});
  EXPECT_EQ(reg.ByDataset("bar"), bar);
  EXPECT_EQ(reg.Datasets().size(), 2u);
  EXPECT_EQ(reg.Choose(ev)->dataset, "bar");  // "food" no longer claimed; content matches bar
}

TEST(Registry, GlobalIsReady) {
  // Built-ins are registered on first use; Datasets() works before any ParseRecord.
  const auto datasets = ParserRegistry::Global().Datasets();
  for (const auto& d : datasets) EXPECT_NE(ParserRegistry::Global().ByDataset(d), nullptr);
}

}  // namespace
}  // namespace kamatama

namespace kamatama {
TEST(Syslog3164, CiscoEmptyHostBeforeColon) {
  Event ev;
  ASSERT_TRUE(ParseSyslog("<166>Nov 26 23:30:09 : %ASA-6-302013: Built outbound TCP connection", test_util::kRecv, {}, &ev));
  EXPECT_EQ(ev.Get("host.name"), nullptr);
  EXPECT_EQ(test_util::F(ev, "message"), "%ASA-6-302013: Built outbound TCP connection");
}
}  // namespace kamatama
