// tests/framing_test.cc: RFC 6587 framing, split reads, oversize frames.
#include <gtest/gtest.h>

#include <random>

#include "ingest/framing.h"

using kamatama::ingest::SyslogFramer;

namespace {
struct Collected {
  std::vector<std::string> frames;
  std::vector<bool> truncated;
};
Collected FeedAll(SyslogFramer& f, const std::vector<std::string>& chunks) {
  Collected c;
  for (const auto& ch : chunks) {
    f.Feed(ch, [&](std::string_view fr, bool t) {
      c.frames.emplace_back(fr);
      c.truncated.push_back(t);
    });
  }
  return c;
}
}  // namespace

TEST(Framing, NewlineFraming) {
  SyslogFramer f(1024);
  auto c = FeedAll(f, {"<13>Nov 26 12:00:00 h a: one\n<13>Nov 26 12:00:01 h a: two\r\n\n"});
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0], "<13>Nov 26 12:00:00 h a: one");
  EXPECT_EQ(c.frames[1], "<13>Nov 26 12:00:01 h a: two");
  EXPECT_EQ(f.Pending(), 0u);
}

TEST(Framing, OctetCounting) {
  SyslogFramer f(1024);
  std::string m1 = "<13>1 2026-11-26T12:00:00Z h app - - - hi";
  std::string m2 = "<14>Nov 26 12:00:00 h tag: with\nnewline inside\n";  // syslog-ng counts its LF
  auto c = FeedAll(f, {std::to_string(m1.size()) + " " + m1 + std::to_string(m2.size()) + " " + m2});
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0], m1);
  EXPECT_EQ(c.frames[1], "<14>Nov 26 12:00:00 h tag: with\nnewline inside");
}

TEST(Framing, MixedFramingDetectedPerFrame) {
  SyslogFramer f(1024);
  std::string m = "<13>x octet";
  auto c = FeedAll(f, {"<13>line one\n" + std::to_string(m.size()) + " " + m + "<13>line two\n"});
  ASSERT_EQ(c.frames.size(), 3u);
  EXPECT_EQ(c.frames[0], "<13>line one");
  EXPECT_EQ(c.frames[1], m);
  EXPECT_EQ(c.frames[2], "<13>line two");
}

TEST(Framing, DigitsWithoutSpaceAreAPlainLine) {
  SyslogFramer f(1024);
  auto c = FeedAll(f, {"2026-11-26 12:00:00 plain line\n12345\n"});
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0], "2026-11-26 12:00:00 plain line");
  EXPECT_EQ(c.frames[1], "12345");
}

TEST(Framing, EverySplitPointGivesTheSameFrames) {
  std::string m1 = "<13>1 2026-11-26T12:00:00Z h app - - - first";
  std::string stream = std::to_string(m1.size()) + " " + m1 + "<13>second line\n" + "5 <13>x" + "<13>third\n";
  SyslogFramer whole(1024);
  auto expect = FeedAll(whole, {stream});
  ASSERT_EQ(expect.frames.size(), 4u);
  for (size_t i = 0; i <= stream.size(); ++i) {
    for (size_t j = i; j <= stream.size(); j += 7) {
      SyslogFramer f(1024);
      auto c = FeedAll(f, {stream.substr(0, i), stream.substr(i, j - i), stream.substr(j)});
      ASSERT_EQ(c.frames, expect.frames) << "split at " << i << "," << j;
    }
  }
}

TEST(Framing, ByteAtATime) {
  std::string stream = "11 <13>abcdefg<13>line\n";
  SyslogFramer f(1024);
  std::vector<std::string> chunks;
  for (char ch : stream) chunks.emplace_back(1, ch);
  auto c = FeedAll(f, chunks);
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0], "<13>abcdefg");
  EXPECT_EQ(c.frames[1], "<13>line");
}

TEST(Framing, OversizeLineTruncatedAndRestSkipped) {
  SyslogFramer f(100);
  std::string big(1000, 'x');
  auto c = FeedAll(f, {"<13>" + big.substr(0, 300), big.substr(300) + "\n<13>next\n"});
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0].size(), 100u);
  EXPECT_TRUE(c.truncated[0]);
  EXPECT_EQ(c.frames[1], "<13>next");
  EXPECT_FALSE(c.truncated[1]);
  EXPECT_EQ(f.truncated(), 1u);
}

TEST(Framing, OversizeOctetFrameTruncatedAndRestSkipped) {
  SyslogFramer f(100);
  std::string big(5000, 'y');
  std::string stream = "5000 " + big + "8 <13>next";
  auto c = FeedAll(f, {stream.substr(0, 50), stream.substr(50, 3000), stream.substr(3050)});
  ASSERT_EQ(c.frames.size(), 2u);
  EXPECT_EQ(c.frames[0], std::string(100, 'y'));
  EXPECT_TRUE(c.truncated[0]);
  EXPECT_EQ(c.frames[1], "<13>next");
}

TEST(Framing, HalfFrameIsPending) {
  SyslogFramer f(1024);
  auto c = FeedAll(f, {"100 <13>only part of it"});
  EXPECT_TRUE(c.frames.empty());
  EXPECT_GT(f.Pending(), 0u);
}

TEST(Framing, RandomBytesNeverCrash) {
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    SyslogFramer f(64);
    std::string junk(rng() % 4096, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    size_t total = 0;
    f.Feed(junk, [&](std::string_view fr, bool) {
      EXPECT_LE(fr.size(), 64u);
      total += fr.size();
    });
    EXPECT_LE(total, junk.size());
  }
}
