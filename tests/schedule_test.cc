// tests/schedule_test.cc
//! Scheduled searches (issue 25), the pure parts: the windows a schedule takes (expected times
//! written by hand, UTC), the seen-value set's bound, and the report as CSV and HTML (expected
//! text written literally: formula cells guarded, markup escaped).
#include <gtest/gtest.h>

#include <string>

#include "core/time.h"
#include "server/notify_message.h"
#include "server/schedule_run.h"
#include "server/schedule_state.h"

namespace {

using namespace kamatama;
using namespace kamatama::server;

int64_t T(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

TEST(Schedule, EveryWindowsAreAlignedOnTheInterval) {
  ScheduleSpec s;
  s.every_ns = 15 * 60 * kNanosPerSecond;
  EXPECT_EQ(s.SlotAtOrBefore(T("2026-03-01T10:07:30Z")), T("2026-03-01T10:00:00Z"));
  EXPECT_EQ(s.SlotAtOrBefore(T("2026-03-01T10:15:00Z")), T("2026-03-01T10:15:00Z"));
  EXPECT_EQ(s.SlotAtOrBefore(T("2026-03-01T10:14:59.999Z")), T("2026-03-01T10:00:00Z"));
  EXPECT_EQ(s.PeriodNs(), 15 * 60 * kNanosPerSecond);
}

TEST(Schedule, DailyWindowsEndAtTheTimeOfDayUtc) {
  ScheduleSpec s;
  s.at_minute = 6 * 60 + 30;
  EXPECT_EQ(s.SlotAtOrBefore(T("2026-03-01T10:00:00Z")), T("2026-03-01T06:30:00Z"));
  EXPECT_EQ(s.SlotAtOrBefore(T("2026-03-01T05:00:00Z")), T("2026-02-28T06:30:00Z"));
  EXPECT_EQ(s.SlotAtOrBefore(T("2026-03-01T06:30:00Z")), T("2026-03-01T06:30:00Z"));
  EXPECT_EQ(s.PeriodNs(), kNanosPerDay);
}

TEST(Schedule, SeenValuesAreBoundedAndForgetTheOldestFirst) {
  ScheduleState st;
  for (size_t i = 0; i < kMaxSeenValues + 10; ++i) EXPECT_TRUE(RememberSeen(&st, SeenKey("v" + std::to_string(i))));
  EXPECT_EQ(st.seen.size(), kMaxSeenValues);
  EXPECT_EQ(st.seen_set.size(), kMaxSeenValues);
  EXPECT_FALSE(RememberSeen(&st, SeenKey("v" + std::to_string(kMaxSeenValues + 9))));  // still known
  EXPECT_TRUE(RememberSeen(&st, SeenKey("v0")));  // forgotten: new again
  EXPECT_NE(SeenKey("a"), SeenKey("b"));
  EXPECT_EQ(SeenKey("a").size(), 16u);
}

TEST(Schedule, ReportCsvGuardsFormulasAndHtmlEscapesMarkup) {
  ReportNote r;
  r.schedule_name = "<b>daily</b>";
  r.columns = {"host.name", "message"};
  r.rows = {{"pc-1", "=cmd|' /C calc'!A0"}, {"pc,2", "<script>alert(1)</script> & \"q\""}, {"-5", "@SUM(A1)"}};
  EXPECT_EQ(ReportCsv(r),
            "host.name,message\r\n"
            "pc-1,\"'=cmd|' /C calc'!A0\"\r\n"
            "\"pc,2\",\"<script>alert(1)</script> & \"\"q\"\"\"\r\n"
            "-5,\"'@SUM(A1)\"\r\n");
  const std::string html = ReportHtml(r);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>daily"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"), std::string::npos);
  EXPECT_NE(html.find("<title>&lt;b&gt;daily&lt;/b&gt;</title>"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
}

}  // namespace
