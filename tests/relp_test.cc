// tests/relp_test.cc: the RELP frame parser and session rules (ingest/relp.h). The frames are
// written by hand from the protocol's grammar (TXNR SP COMMAND SP DATALEN [SP DATA] LF), and the
// open exchange is the one librelp 1.11's client sends (as seen from rsyslog's omrelp); the
// end-to-end behaviour with a real rsyslogd is in relp_integration_test.cc.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ingest/relp.h"

using kamatama::ingest::RelpFrame;
using kamatama::ingest::RelpFramer;
using kamatama::ingest::RelpSession;
using kamatama::ingest::RelpStep;

namespace {

struct Got {
  uint32_t txnr;
  std::string command, data;
  bool truncated;
  bool operator==(const Got&) const = default;
};

std::vector<Got> FeedInPieces(RelpFramer& f, std::string_view in, size_t step, bool* ok) {
  std::vector<Got> out;
  *ok = true;
  for (size_t off = 0; off < in.size() && *ok; off += step) {
    *ok = f.Feed(in.substr(off, step), [&](const RelpFrame& fr) {
      out.push_back({fr.txnr, std::string(fr.command), std::string(fr.data), fr.truncated});
    });
  }
  return out;
}

const char kOpen[] =
    "1 open 86 relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog";

}  // namespace

TEST(RelpFramer, EverySplitPointGivesTheSameFrames) {
  std::string stream = std::string(kOpen) + "\n" + "2 syslog 12 <13>hello\nyo\n" + "3 syslog 0\n" + "4 close 0\n";
  const std::vector<Got> want = {
      {1, "open", std::string(kOpen).substr(10), false},
      {2, "syslog", "<13>hello\nyo", false},
      {3, "syslog", "", false},
      {4, "close", "", false},
  };
  ASSERT_EQ(want[0].data.size(), 86u);  // the grammar's DATALEN, counted independently
  for (size_t step = 1; step <= stream.size(); ++step) {
    RelpFramer f(1024);
    bool ok;
    EXPECT_EQ(FeedInPieces(f, stream, step, &ok), want) << "step " << step;
    EXPECT_TRUE(ok);
    EXPECT_FALSE(f.InFrame());
  }
}

TEST(RelpFramer, LongDataIsTruncatedAndTheNextFrameStillParses) {
  std::string big(100, 'x');
  std::string stream = "7 syslog 100 " + big + "\n8 syslog 3 abc\n";
  for (size_t step : {1u, 5u, 13u, 1000u}) {
    RelpFramer f(10);
    bool ok;
    auto got = FeedInPieces(f, stream, step, &ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], (Got{7, "syslog", std::string(10, 'x'), true}));
    EXPECT_EQ(got[1], (Got{8, "syslog", "abc", false}));
  }
}

TEST(RelpFramer, MalformedFramesFailAndStayFailed) {
  for (const char* bad : {"x syslog 1 a\n", " 1 syslog 1 a\n", "1234567890 syslog 1 a\n", "1 sys-log 1 a\n",
                          "1 syslog x\n", "1 syslog 1234567890 a\n", "1 syslog 3 abcd\n", "1 syslog 1a\n",
                          "1  syslog 1 a\n", "1 syslog  1 a\n", "1 syslog 0 \n",
                          "1 abcdefghijklmnopqrstuvwxyzabcdefg 0\n"}) {
    RelpFramer f(100);
    int frames = 0;
    EXPECT_FALSE(f.Feed(bad, [&](const RelpFrame&) { ++frames; })) << bad;
    EXPECT_EQ(frames, 0) << bad;
    EXPECT_FALSE(f.error().empty()) << bad;
    EXPECT_FALSE(f.Feed("2 syslog 1 a\n", [&](const RelpFrame&) { ++frames; })) << bad;
    EXPECT_EQ(frames, 0) << bad;
  }
}

TEST(RelpSession, OpenThenSyslogThenClose) {
  RelpSession s;
  RelpStep st = s.OnFrame({1, "open", std::string_view(kOpen).substr(10), false});
  ASSERT_EQ(st.kind, RelpStep::kRespond);
  // The answer must be a frame our own parser reads back: rsp, 200, and the offers librelp's
  // client checks (relp_version no higher than its own 0, commands including syslog).
  RelpFramer back(1 << 20);
  std::string data;
  ASSERT_TRUE(back.Feed(st.response, [&](const RelpFrame& f) {
    EXPECT_EQ(f.txnr, 1u);
    EXPECT_EQ(f.command, "rsp");
    data = f.data;
  }));
  EXPECT_EQ(data.substr(0, 7), "200 OK\n");
  EXPECT_NE(data.find("\nrelp_version=0"), std::string::npos) << data;
  EXPECT_NE(data.find("\ncommands=syslog"), std::string::npos) << data;

  st = s.OnFrame({2, "syslog", "<13>hello\n", false});
  ASSERT_EQ(st.kind, RelpStep::kMessage);
  EXPECT_EQ(st.message, "<13>hello");
  EXPECT_EQ(st.response, "2 rsp 6 200 OK\n");
  st = s.OnFrame({3, "syslog", "", false});
  EXPECT_EQ(st.kind, RelpStep::kRespond);  // nothing to store: answered at once
  EXPECT_EQ(st.response, "3 rsp 6 200 OK\n");
  st = s.OnFrame({4, "bogus", "", false});
  EXPECT_EQ(st.kind, RelpStep::kRespond);
  EXPECT_EQ(st.response.substr(0, 9), "4 rsp 25 ");
  EXPECT_EQ(st.response.substr(9, 3), "500");
  st = s.OnFrame({5, "close", "", false});
  EXPECT_EQ(st.kind, RelpStep::kClose);
  EXPECT_EQ(st.response, "5 rsp 0\n");
  EXPECT_EQ(s.OnFrame({6, "syslog", "x", false}).kind, RelpStep::kFail);
}

TEST(RelpSession, ViolationsCloseTheSession) {
  {
    RelpSession s;  // syslog before open
    EXPECT_EQ(s.OnFrame({1, "syslog", "x", false}).kind, RelpStep::kFail);
  }
  {
    RelpSession s;  // a transaction number out of sequence
    ASSERT_EQ(s.OnFrame({1, "open", "relp_version=0\ncommands=syslog", false}).kind, RelpStep::kRespond);
    EXPECT_EQ(s.OnFrame({2, "syslog", "a", false}).kind, RelpStep::kMessage);
    EXPECT_EQ(s.OnFrame({4, "syslog", "b", false}).kind, RelpStep::kFail);
  }
  {
    RelpSession s;  // a client that does not offer the syslog command is refused
    RelpStep st = s.OnFrame({1, "open", "relp_version=0\ncommands=other", false});
    EXPECT_EQ(st.kind, RelpStep::kClose);
    EXPECT_NE(st.response.find(" 500 "), std::string::npos) << st.response;
  }
  {
    RelpSession s;  // no relp_version
    EXPECT_EQ(s.OnFrame({1, "open", "commands=syslog", false}).kind, RelpStep::kClose);
  }
}

TEST(RelpSession, TransactionNumbersWrapLikeLibrelp) {
  EXPECT_EQ(kamatama::ingest::NextRelpTxnr(1), 2u);
  EXPECT_EQ(kamatama::ingest::NextRelpTxnr(999999999), 1u);
}
