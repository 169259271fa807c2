// tests/bad_input_integration_test.cc: junk, NUL bytes, invalid UTF-8, a 10 MB line and a
// half-sent frame do not take the server down or disturb other senders, and are counted.
#include <simdjson.h>

#include <sys/resource.h>

#include <random>

#include "harness.h"

using namespace kmt_test;

TEST(BadInput, ServerSurvivesAndCountsWhatItRejected) {
  std::string dir = TempDir("badinput");
  Server s(dir);
  s.Start();

  // A well-behaved sender keeps a connection open throughout.
  TcpClient good(s.tcp());
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(good.Send("<13>Nov 26 12:00:00 goodhost app: goodmarker before\n"));

  std::mt19937 rng(7);
  {  // binary junk, then close
    TcpClient c(s.tcp());
    std::string junk(256 * 1024, '\0');
    for (auto& ch : junk) ch = static_cast<char>(rng());
    c.Send(junk);
  }
  {  // NUL bytes and invalid UTF-8 inside otherwise valid lines
    TcpClient c(s.tcp());
    c.Send(std::string("<13>Nov 26 12:00:00 h app: nulmarker a\0b\0c\n", 41));
    c.Send("<13>Nov 26 12:00:00 h app: utfmarker \xff\xfe\xc3\x28 end\n");
  }
  {  // a 10 MB line, then a normal line on the same connection
    TcpClient c(s.tcp());
    std::string big = "<13>Nov 26 12:00:00 h app: bigmarker " + std::string(10 << 20, 'A') + "\n";
    ASSERT_TRUE(c.Send(big));
    ASSERT_TRUE(c.Send("<13>Nov 26 12:00:00 h app: aftermarker\n"));
  }
  {  // a half-sent octet-counted frame, then disconnect
    TcpClient c(s.tcp());
    c.Send("500 <13>Nov 26 12:00:00 h app: halfmarker only part");
  }
  SendUdp(s.udp(), std::string("\x00\x01\x02\xff garbage udp", 16));
  SendUdp(s.udp(), "");
  ASSERT_TRUE(good.Send("<13>Nov 26 12:00:00 goodhost app: goodmarker after\n"));

  ASSERT_TRUE(Eventually([&] { return s.CountMatches("goodmarker") == 2; }));
  ASSERT_TRUE(Eventually([&] { return s.CountMatches("aftermarker") == 1; }));
  EXPECT_TRUE(s.Alive());
  EXPECT_EQ(s.CountMatches("nulmarker"), 1u);
  EXPECT_EQ(s.CountMatches("utfmarker"), 1u);
  EXPECT_EQ(s.CountMatches("halfmarker"), 0u);

  // The 10 MB line is stored cut at 64 KiB and tagged.
  std::string body = s.Search("bigmarker", "&limit=1");
  simdjson::dom::parser p;
  auto r = p.parse(body).value();
  ASSERT_EQ(r["events"].get_array().size(), 1u);
  simdjson::dom::element ev = r["events"].at(0).value();
  EXPECT_EQ(std::string_view(ev["event.original"]).size(), 65536u);
  EXPECT_NE(std::string_view(ev["tags"]).find("truncated"), std::string_view::npos);

  ASSERT_TRUE(Eventually([&] { return s.Metric("kamatama_incomplete_frames_total") >= 1; }));
  EXPECT_GE(s.Metric("kamatama_truncated_total"), 1);
  EXPECT_GE(s.Metric("kamatama_invalid_utf8_total"), 2);
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}

TEST(BadInput, ThousandsOfConcurrentConnections) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 4200) GTEST_SKIP() << "open file limit too low: " << rl.rlim_cur;
  std::string dir = TempDir("manyconns");
  Server s(dir);
  s.Start();
  std::vector<std::unique_ptr<TcpClient>> conns;
  for (int i = 0; i < 2000; ++i) {
    conns.push_back(std::make_unique<TcpClient>(s.tcp()));
    ASSERT_TRUE(conns.back()->ok()) << i;
  }
  for (int i = 0; i < 2000; ++i) {
    ASSERT_TRUE(conns[i]->Send("<13>Nov 26 12:00:00 c" + std::to_string(i) + " app: connmarker " + std::to_string(i) + "\n"));
  }
  ASSERT_TRUE(Eventually([&] { return s.CountMatches("connmarker") == 2000; }, 20000));
  conns.clear();
  EXPECT_EQ(s.Stop(), 0);
  std::filesystem::remove_all(dir);
}
