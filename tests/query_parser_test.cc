// tests/query_parser_test.cc
//! Unit tests of query/: parse trees, error positions, matching, pruning, hostile input.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <tuple>
#include <unordered_set>
#include <vector>

#include "core/event.h"
#include "core/time.h"
#include "core/tokenize.h"
#include "query/query.h"

namespace kamatama::query {
namespace {

//! Parses and returns ToString, or "ERROR@pos: message".
std::string Tree(std::string_view text) {
  auto result = Query::Parse(text);
  if (auto* err = std::get_if<ParseError>(&result)) {
    return "ERROR@" + std::to_string(err->position) + ": " + err->message;
  }
  return std::get<Query>(result).ToString();
}

Query MustParse(std::string_view text) {
  auto result = Query::Parse(text);
  if (auto* err = std::get_if<ParseError>(&result)) {
    ADD_FAILURE() << "parse of [" << text << "] failed at " << err->position << ": "
                  << err->message;
    return Query();
  }
  return std::get<Query>(std::move(result));
}

ParseError MustFail(std::string_view text) {
  auto result = Query::Parse(text);
  if (auto* err = std::get_if<ParseError>(&result)) return *err;
  ADD_FAILURE() << "parse of [" << text << "] succeeded: " << std::get<Query>(result).ToString();
  return {};
}

// --- parse trees ---------------------------------------------------------------------------

TEST(QueryParse, MatchAll) {
  for (const char* q : {"", "   ", "\t\n", "*", " * "}) {
    Query query = MustParse(q);
    EXPECT_TRUE(query.MatchesAll()) << q;
    EXPECT_EQ(query.ToString(), "(ALL)") << q;
    EXPECT_TRUE(query.ReferencedFields().empty()) << q;
  }
  EXPECT_TRUE(Query().MatchesAll());
  EXPECT_EQ(Tree("sshd *"), "(TERM sshd)");
  EXPECT_EQ(Tree("* OR sshd"), "(ALL)");
  EXPECT_EQ(Tree("* *"), "(ALL)");
  EXPECT_EQ(Tree("NOT *"), "(NOT (ALL))");
  EXPECT_FALSE(MustParse("sshd").MatchesAll());
}

TEST(QueryParse, Terms) {
  EXPECT_EQ(Tree("sshd"), "(TERM sshd)");
  EXPECT_EQ(Tree("10.1.2.3"), "(TERM 10.1.2.3)");
  EXPECT_EQ(Tree("user@example.com"), "(TERM user@example.com)");
  EXPECT_EQ(Tree("/usr/bin/ssh"), "(TERM /usr/bin/ssh)");
  // A ':' whose prefix is not a field name stays in the term.
  EXPECT_EQ(Tree("10.1.2.3:443"), "(TERM 10.1.2.3:443)");
  EXPECT_EQ(Tree("::1"), "(TERM ::1)");
  EXPECT_EQ(Tree("a/b:c"), "(TERM a/b:c)");
  // Keywords are upper case only.
  EXPECT_EQ(Tree("a and b"), "(AND (TERM a) (TERM and) (TERM b))");
  EXPECT_EQ(Tree("foo-bar --verbose -"), "(AND (TERM foo-bar) (TERM --verbose) (TERM -))");
  EXPECT_EQ(Tree("a&&b"), "(TERM a&&b)");
}

TEST(QueryParse, ImplicitAndAndPrecedence) {
  EXPECT_EQ(Tree("a b c"), "(AND (TERM a) (TERM b) (TERM c))");
  EXPECT_EQ(Tree("a AND b AND c"), "(AND (TERM a) (TERM b) (TERM c))");
  EXPECT_EQ(Tree("a OR b AND c"), "(OR (TERM a) (AND (TERM b) (TERM c)))");
  EXPECT_EQ(Tree("a AND b OR c"), "(OR (AND (TERM a) (TERM b)) (TERM c))");
  EXPECT_EQ(Tree("a b OR c d"), "(OR (AND (TERM a) (TERM b)) (AND (TERM c) (TERM d)))");
  EXPECT_EQ(Tree("a || b && c"), "(OR (TERM a) (AND (TERM b) (TERM c)))");
  EXPECT_EQ(Tree("a OR b OR c"), "(OR (TERM a) (TERM b) (TERM c))");
  EXPECT_EQ(Tree("NOT a b"), "(AND (NOT (TERM a)) (TERM b))");
  EXPECT_EQ(Tree("NOT a OR b"), "(OR (NOT (TERM a)) (TERM b))");
  EXPECT_EQ(Tree("a OR NOT b c"), "(OR (TERM a) (AND (NOT (TERM b)) (TERM c)))");
}

TEST(QueryParse, NotForms) {
  EXPECT_EQ(Tree("NOT a"), "(NOT (TERM a))");
  EXPECT_EQ(Tree("!a"), "(NOT (TERM a))");
  EXPECT_EQ(Tree("! a"), "(NOT (TERM a))");
  EXPECT_EQ(Tree("-a"), "(NOT (TERM a))");
  EXPECT_EQ(Tree("a AND NOT b"), "(AND (TERM a) (NOT (TERM b)))");
  EXPECT_EQ(Tree("a NOT b"), "(AND (TERM a) (NOT (TERM b)))");
  EXPECT_EQ(Tree("a -b"), "(AND (TERM a) (NOT (TERM b)))");
  EXPECT_EQ(Tree("NOT NOT a"), "(NOT (NOT (TERM a)))");
  EXPECT_EQ(Tree("!-a"), "(NOT (NOT (TERM a)))");
  EXPECT_EQ(Tree("-host.name:web1"), "(NOT (FIELD host.name \"web1\"))");
  EXPECT_EQ(Tree("-\"a b\""), "(NOT (PHRASE \"a b\"))");
  EXPECT_EQ(Tree("-(a OR b)"), "(NOT (OR (TERM a) (TERM b)))");
  EXPECT_EQ(Tree("!(a OR b)"), "(NOT (OR (TERM a) (TERM b)))");
  EXPECT_EQ(Tree("NOT(a OR b)"), "(NOT (OR (TERM a) (TERM b)))");
}

TEST(QueryParse, Parentheses) {
  EXPECT_EQ(Tree("(a OR b) c"), "(AND (OR (TERM a) (TERM b)) (TERM c))");
  EXPECT_EQ(Tree("a AND (b OR c)"), "(AND (TERM a) (OR (TERM b) (TERM c)))");
  EXPECT_EQ(Tree("((a))"), "(TERM a)");
  EXPECT_EQ(Tree("(a b) (c)"), "(AND (AND (TERM a) (TERM b)) (TERM c))");
  EXPECT_EQ(Tree("a AND(b)"), "(AND (TERM a) (TERM b))");
  EXPECT_EQ(Tree("(a OR (b AND NOT (c OR d)))"),
            "(OR (TERM a) (AND (TERM b) (NOT (OR (TERM c) (TERM d)))))");
}

TEST(QueryParse, PhrasesAndEscapes) {
  EXPECT_EQ(Tree("\"Failed password\""), "(PHRASE \"Failed password\")");
  EXPECT_EQ(Tree(R"("say \"hi\" c\\d")"), R"((PHRASE "say \"hi\" c\\d"))");
  // Other backslashes are literal.
  EXPECT_EQ(Tree(R"("C:\Windows\x")"), R"((PHRASE "C:\\Windows\\x"))");
  EXPECT_EQ(Tree(R"("a)(b OR" c)"), R"((AND (PHRASE "a)(b OR") (TERM c)))");
  EXPECT_EQ(Tree(R"(ab"cd")"), R"((AND (TERM ab) (PHRASE "cd")))");
  EXPECT_EQ(Tree(R"("***")"), R"((PHRASE "***"))");
}

TEST(QueryParse, Fields) {
  EXPECT_EQ(Tree("host.name:web1"), "(FIELD host.name \"web1\")");
  EXPECT_EQ(Tree("log.syslog.appname:sshd"), "(FIELD log.syslog.appname \"sshd\")");
  EXPECT_EQ(Tree("@timestamp:*"), "(EXISTS @timestamp)");
  EXPECT_EQ(Tree("host.name:*"), "(EXISTS host.name)");
  EXPECT_EQ(Tree("my_field-2:x"), "(FIELD my_field-2 \"x\")");
  EXPECT_EQ(Tree("message:\"Failed password\""), "(FIELD message \"Failed password\")");
  EXPECT_EQ(Tree(R"(message:"a \"q\"")"), R"((FIELD message "a \"q\""))");
  EXPECT_EQ(Tree("message:\"\""), "(FIELD message \"\")");
  EXPECT_EQ(Tree("user.name:adm*"), "(GLOB user.name \"adm*\")");
  EXPECT_EQ(Tree("process.name:*.exe"), "(GLOB process.name \"*.exe\")");
  EXPECT_EQ(Tree("user.name:\"adm*\""), "(FIELD user.name \"adm*\")");  // quoted = literal
  EXPECT_EQ(Tree("url.full:http://x/y?a=1"), "(FIELD url.full \"http://x/y?a=1\")");
  EXPECT_EQ(Tree("host.name:web1 sshd"), "(AND (FIELD host.name \"web1\") (TERM sshd))");
}

TEST(QueryParse, ReferencedFields) {
  EXPECT_EQ(MustParse("sshd host.name:web1 OR user.name:adm* host.name:* @timestamp:*")
                .ReferencedFields(),
            (std::vector<std::string>{"event.original", "host.name", "user.name"}));
  EXPECT_EQ(MustParse("user.name:x NOT \"a b\"").ReferencedFields(),
            (std::vector<std::string>{"user.name", "event.original"}));
  // Fields of a subtree simplified away are not read.
  EXPECT_TRUE(MustParse("* OR host.name:x").ReferencedFields().empty());
}

// --- errors --------------------------------------------------------------------------------

struct ErrorCase {
  const char* query;
  size_t position;
  const char* message_part;
};

TEST(QueryParse, ErrorPositions) {
  const ErrorCase cases[] = {
      // unbalanced parentheses: the '(' never closed, or the stray ')'
      {"(a OR b", 0, "never closed"},
      {"a (b (c)", 2, "never closed"},
      {"a)", 1, "without '('"},
      {")", 0, "without '('"},
      {"(a))", 3, "without '('"},
      {"()", 1, "empty parentheses"},
      {"a ( ) b", 4, "empty parentheses"},
      {"(", 1, "after ("},
      // unterminated quotes: the opening quote
      {"\"unterminated", 0, "unterminated"},
      {"a \"b\\\"", 2, "unterminated"},
      {"a \"b\\", 2, "unterminated"},
      {"host.name:\"web1", 10, "unterminated"},
      // field: with nothing after: just after the ':'
      {"host.name:", 10, "missing value"},
      {"host.name: web1", 10, "missing value"},
      {"a host.name:)", 12, "missing value"},
      {"(host.name:)", 11, "missing value"},
      // operators without operands: where the operand should be
      {"a AND", 5, "after AND"},
      {"a AND )", 6, "after AND"},
      {"a &&", 4, "after &&"},
      {"a OR", 4, "after OR"},
      {"a OR OR b", 5, "after OR, found OR"},
      {"a OR AND b", 5, "after OR, found AND"},
      {"(a OR )", 6, "after OR"},
      {"NOT", 3, "after NOT"},
      {"a NOT", 5, "after NOT"},
      {"!", 1, "after !"},
      {"NOT AND a", 4, "after NOT, found AND"},
      {"AND a", 0, "unexpected AND"},
      {"|| a", 0, "unexpected ||"},
      // wildcards in free text: a byte that is never part of a token
      {"sshd[*]", 4, "free-text wildcard"},
      {"a f*o:", 5, "free-text wildcard"},
      // empty phrase
      {"a \"\"", 2, "empty phrase"},
  };
  for (const ErrorCase& c : cases) {
    ParseError err = MustFail(c.query);
    EXPECT_EQ(err.position, c.position) << "[" << c.query << "] " << err.message;
    EXPECT_NE(err.message.find(c.message_part), std::string::npos)
        << "[" << c.query << "] " << err.message;
    EXPECT_FALSE(err.expected.empty()) << c.query;
  }
  EXPECT_EQ(MustFail("(a OR b").expected, "')'");
  EXPECT_EQ(MustFail("\"x").expected, "'\"'");
}

TEST(QueryParse, Limits) {
  std::string ok(kMaxQueryBytes, 'a');
  EXPECT_EQ(MustParse(ok).ToString(), "(TERM " + ok + ")");
  ParseError err = MustFail(std::string(kMaxQueryBytes + 1, 'a'));
  EXPECT_EQ(err.position, kMaxQueryBytes);

  std::string deep = std::string(kMaxDepth, '(') + "a" + std::string(kMaxDepth, ')');
  EXPECT_EQ(MustParse(deep).ToString(), "(TERM a)");
  std::string too_deep = std::string(kMaxDepth + 1, '(') + "a" + std::string(kMaxDepth + 1, ')');
  err = MustFail(too_deep);
  EXPECT_EQ(err.position, static_cast<size_t>(kMaxDepth));
  EXPECT_NE(err.message.find("deeper"), std::string::npos);

  std::string nots;
  for (int i = 0; i < kMaxDepth; ++i) nots += "NOT ";
  EXPECT_TRUE(std::holds_alternative<Query>(Query::Parse(nots + "a")));
  err = MustFail(nots + "NOT a");
  EXPECT_EQ(err.position, 4u * kMaxDepth);
}

// --- matching ------------------------------------------------------------------------------

class QueryMatchTest : public ::testing::Test {
 protected:
  QueryMatchTest() {
    ssh_fail_.original =
        "Nov 26 12:00:01 web1 sshd[1234]: Failed password for root from 10.1.2.3 port 22 ssh2";
    ssh_fail_.Add("host.name", "web1");
    ssh_fail_.Add("process.name", "sshd");
    ssh_fail_.Add("user.name", "root");
    ssh_fail_.Add("source.ip", "10.1.2.3");

    ssh_ok_.original =
        "Nov 26 12:00:02 WEB2 sshd[99]: Accepted publickey for administrator from 10.1.2.30 "
        "port 5555 ssh2";
    ssh_ok_.Add("host.name", "WEB2");
    ssh_ok_.Add("process.name", "sshd");
    ssh_ok_.Add("user.name", "Administrator");
    ssh_ok_.Add("source.ip", "10.1.2.30");

    win_.original = R"(C:\Windows\System32\cmd.exe /c whoami user@example.com /usr/bin/ssh)";
    win_.Add("host.name", "win-01");
    win_.Add("process.name", "CMD.EXE");
    win_.Add("message", "");
  }

  //! Which of the three events match, as a 3-char string like "10-" ('1' match, '-' not).
  std::string Which(std::string_view text) {
    Query q = MustParse(text);
    std::string out;
    for (const Event* e : {&ssh_fail_, &ssh_ok_, &win_}) {
      out.push_back(q.Matches(EventAccessor(*e)) ? '1' : '-');
    }
    return out;
  }

  Event ssh_fail_, ssh_ok_, win_;
};

TEST_F(QueryMatchTest, FreeTextTerms) {
  EXPECT_EQ(Which("sshd"), "11-");
  EXPECT_EQ(Which("SSHD"), "11-");
  EXPECT_EQ(Which("password"), "1--");
  EXPECT_EQ(Which("PassWord"), "1--");
  EXPECT_EQ(Which("pass"), "---");  // not a token
  EXPECT_EQ(Which("sshd[1234]:"), "1--");
  EXPECT_EQ(Which("/usr/bin/ssh"), "--1");
  EXPECT_EQ(Which("user@example.com"), "--1");
  EXPECT_EQ(Which("example.com"), "--1");
  EXPECT_EQ(Which("cmd.exe"), "--1");
  EXPECT_EQ(Which("System32\\cmd.exe"), "--1");
  EXPECT_EQ(Which("ssh"), "--1");
  EXPECT_EQ(Which("-"), "---");  // no '-' in any line
  EXPECT_EQ(Which(":"), "111");  // no tokens: substring only
}

TEST_F(QueryMatchTest, IpBoundary) {
  EXPECT_EQ(Which("10.1.2.3"), "1--");
  EXPECT_EQ(Which("10.1.2.30"), "-1-");
  EXPECT_EQ(Which("1.2.3"), "---");
  EXPECT_EQ(Which("10.1.2"), "---");
  EXPECT_EQ(Which("\"10.1.2.3 port\""), "1--");
  EXPECT_EQ(Which("source.ip:10.1.2.3"), "1--");
}

TEST_F(QueryMatchTest, Phrases) {
  EXPECT_EQ(Which("\"Failed password\""), "1--");
  EXPECT_EQ(Which("\"failed PASSWORD for root\""), "1--");
  EXPECT_EQ(Which("\"password Failed\""), "---");
  EXPECT_EQ(Which("\"Failed  password\""), "---");
  EXPECT_EQ(Which("\"ailed password\""), "---");  // "ailed" is not a token
  EXPECT_EQ(Which("\"sshd[\""), "11-");
  EXPECT_EQ(Which(R"("C:\Windows")"), "--1");
}

TEST_F(QueryMatchTest, Fields) {
  EXPECT_EQ(Which("host.name:web1"), "1--");
  EXPECT_EQ(Which("host.name:WEB1"), "1--");
  EXPECT_EQ(Which("host.name:web2"), "-1-");
  EXPECT_EQ(Which("host.name:web"), "---");
  EXPECT_EQ(Which("host.name:\"win-01\""), "--1");
  EXPECT_EQ(Which("message:\"\""), "--1");
  EXPECT_EQ(Which("process.name:sshd user.name:root"), "1--");
  EXPECT_EQ(Which("no.such.field:x"), "---");
  EXPECT_EQ(Which("NOT no.such.field:x"), "111");
  EXPECT_EQ(Which("event.original:*"), "111");
}

TEST_F(QueryMatchTest, Globs) {
  EXPECT_EQ(Which("user.name:adm*"), "-1-");
  EXPECT_EQ(Which("user.name:ADM*"), "-1-");
  EXPECT_EQ(Which("user.name:*min*"), "-1-");
  EXPECT_EQ(Which("user.name:*strator"), "-1-");
  EXPECT_EQ(Which("process.name:*.exe"), "--1");
  EXPECT_EQ(Which("user.name:r*t"), "1--");
  EXPECT_EQ(Which("user.name:ro*ot"), "1--");
  EXPECT_EQ(Which("user.name:roo*oot"), "---");
  EXPECT_EQ(Which("user.name:a*i*i*r"), "-1-");
  EXPECT_EQ(Which("user.name:a*r*i"), "---");
  EXPECT_EQ(Which("host.name:w**1"), "1-1");
  EXPECT_EQ(Which("user.name:\"adm*\""), "---");  // quoted: literal
}

TEST_F(QueryMatchTest, ExistsAndTimestamp) {
  EXPECT_EQ(Which("user.name:*"), "11-");
  EXPECT_EQ(Which("message:*"), "--1");
  EXPECT_EQ(Which("@timestamp:*"), "111");
  EXPECT_EQ(Which("@timestamp:2024"), "---");
  EXPECT_EQ(Which("-user.name:*"), "--1");
}

TEST_F(QueryMatchTest, BooleanOperators) {
  EXPECT_EQ(Which("sshd -10.1.2.3"), "-1-");
  EXPECT_EQ(Which("sshd AND NOT 10.1.2.3"), "-1-");
  EXPECT_EQ(Which("host.name:web1 OR host.name:win-01"), "1-1");
  EXPECT_EQ(Which("(password OR publickey) port"), "11-");
  EXPECT_EQ(Which("password OR publickey port"), "11-");
  EXPECT_EQ(Which("NOT sshd"), "--1");
  EXPECT_EQ(Which("!(sshd OR whoami)"), "---");
  EXPECT_EQ(Which("*"), "111");
  EXPECT_EQ(Which("NOT *"), "---");
}

//! An accessor without event.original: free text cannot match.
class FieldsOnly : public FieldAccessor {
 public:
  bool Get(std::string_view name, std::string_view* value) const override {
    if (name != "host.name") return false;
    *value = "web1";
    return true;
  }
};

TEST(QueryMatch, CustomAccessor) {
  FieldsOnly row;
  EXPECT_TRUE(MustParse("host.name:web1").Matches(row));
  EXPECT_FALSE(MustParse("web1").Matches(row));
  EXPECT_TRUE(MustParse("NOT web1").Matches(row));
}

TEST(QueryMatch, ManyTokenPhrase) {
  // More than 64 distinct tokens takes the per-token path.
  std::string line, phrase;
  for (int i = 0; i < 80; ++i) line += "w" + std::to_string(i) + " ";
  phrase = line.substr(0, line.size() - 1);
  Event e;
  e.original = "x " + line + "y";
  EXPECT_TRUE(MustParse("\"" + phrase + "\"").Matches(EventAccessor(e)));
  e.original = "x " + line.substr(0, line.size() - 2) + "y";  // "w79" became "w7y"
  EXPECT_FALSE(MustParse("\"" + phrase + "\"").Matches(EventAccessor(e)));
}

// --- pruning -------------------------------------------------------------------------------

//! A block's token set as the store builds it: tokens of the original line and of every field.
std::unordered_set<uint64_t> TokenSet(const Event& e) {
  std::unordered_set<uint64_t> set;
  auto add = [&](std::string_view text) {
    ForEachToken(text, [&](std::string_view t) { set.insert(HashTokenLower(t)); });
  };
  add(e.original);
  for (const auto& [name, value] : e.fields) add(value);
  return set;
}

TokenFilter FilterOf(const std::unordered_set<uint64_t>& set) {
  return [&set](uint64_t h) { return set.count(h) > 0; };
}

std::vector<Event> SampleEvents() {
  std::vector<Event> events;
  auto add = [&](std::string original, std::vector<std::pair<std::string, std::string>> fields) {
    Event e;
    e.original = std::move(original);
    for (auto& [n, v] : fields) e.Add(n, v);
    events.push_back(std::move(e));
  };
  add("Nov 26 12:00:01 web1 sshd[1234]: Failed password for root from 10.1.2.3 port 22 ssh2",
      {{"host.name", "web1"}, {"process.name", "sshd"}, {"user.name", "root"},
       {"source.ip", "10.1.2.3"}});
  add("Nov 26 12:00:02 WEB2 sshd[99]: Accepted publickey for administrator from 10.1.2.30 "
      "port 5555",
      {{"host.name", "WEB2"}, {"user.name", "Administrator"}, {"source.ip", "10.1.2.30"}});
  add(R"(C:\Windows\System32\cmd.exe /c whoami user@example.com /usr/bin/ssh)",
      {{"host.name", "win-01.corp.example.com"}, {"process.name", "CMD.EXE"},
       {"file.path", "C:\\Windows\\System32\\cmd.exe"}});
  add("GET /index.html?q=a-b.c HTTP/1.1 200 \"Mozilla/5.0 (X11; Linux x86_64)\" --verbose",
      {{"url.original", "/index.html?q=a-b.c"}, {"http.response.status_code", "200"},
       {"user_agent.original", "Mozilla/5.0 (X11; Linux x86_64)"}});
  add("kernel: [UFW BLOCK] IN=eth0 SRC=192.168.0.10 DST=192.168.0.255 LEN=72 .-.x-y.-.",
      {{"source.ip", "192.168.0.10"}, {"destination.ip", "192.168.0.255"},
       {"tags", "ufw,block"}, {"guid", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}});
  add("", {});
  add("\xc3\xa9t\xc3\xa9 caf\xc3\xa9 na\xc3\xafve-test \"quoted \\ stuff\"",
      {{"message", "caf\xc3\xa9 ok"}});
  return events;
}

TEST(QueryMayMatch, ActuallyPrunes) {
  std::vector<Event> events = SampleEvents();
  auto set = TokenSet(events[0]);
  auto filter = FilterOf(set);
  EXPECT_FALSE(MustParse("10.9.9.9").MayMatch(filter));
  EXPECT_FALSE(MustParse("10.1.2.30").MayMatch(filter));
  EXPECT_FALSE(MustParse("\"Accepted publickey\"").MayMatch(filter));
  EXPECT_FALSE(MustParse("host.name:web2").MayMatch(filter));
  EXPECT_FALSE(MustParse("10.9.9.9 OR 10.8.8.8").MayMatch(filter));
  EXPECT_FALSE(MustParse("sshd 10.9.9.9").MayMatch(filter));
  EXPECT_FALSE(MustParse("process.name:*.exe").MayMatch(filter));
  EXPECT_TRUE(MustParse("10.1.2.3").MayMatch(filter));
  EXPECT_TRUE(MustParse("sshd OR 10.9.9.9").MayMatch(filter));
  EXPECT_TRUE(MustParse("NOT 10.9.9.9").MayMatch(filter));
  EXPECT_TRUE(MustParse("*").MayMatch(filter));
  EXPECT_TRUE(MustParse("nosuch:*").MayMatch(filter));
  EXPECT_TRUE(MustParse("user.name:adm*").MayMatch(filter));  // "adm" touches '*': skipped
}

TEST(QueryMayMatch, GlobTokensOnlyWhenBounded) {
  std::unordered_set<uint64_t> empty;
  auto none = FilterOf(empty);
  auto set_of = [](std::initializer_list<const char*> tokens) {
    std::unordered_set<uint64_t> set;
    for (const char* t : tokens) set.insert(HashTokenLower(t));
    return set;
  };
  // Tokens touching a '*' are never required.
  EXPECT_TRUE(MustParse("f:*foo,bar*").MayMatch(none));
  EXPECT_TRUE(MustParse("f:adm*").MayMatch(none));
  // "*.example.com" requires the words, not the compound (the value may be www.example.com).
  EXPECT_FALSE(MustParse("f:*.example.com").MayMatch(none));
  auto words = set_of({"example", "com"});
  EXPECT_TRUE(MustParse("f:*.example.com").MayMatch(FilterOf(words)));
  EXPECT_FALSE(MustParse("f:example.com").MayMatch(FilterOf(words)));  // exact: compound too
  // A compound bounded by non-token bytes on both sides is required.
  auto parts = set_of({"foo", "bar"});
  EXPECT_FALSE(MustParse("f:*x,foo.bar,y*").MayMatch(FilterOf(parts)));
  parts.insert(HashTokenLower("foo.bar"));
  EXPECT_TRUE(MustParse("f:*x,foo.bar,y*").MayMatch(FilterOf(parts)));
  // Next to '-' a compound may be longer in the value: skipped; its words are still required.
  auto no_compound = set_of({"foo", "bar", "x"});
  EXPECT_TRUE(MustParse("f:*-foo.bar-x").MayMatch(FilterOf(no_compound)));
  EXPECT_FALSE(MustParse("f:*-foo.bar-x").MayMatch(FilterOf(set_of({"foo", "bar"}))));
  // Quoted values are literal: all their tokens are required.
  EXPECT_FALSE(MustParse("f:\"*x foo.bar y*\"").MayMatch(FilterOf(no_compound)));
}

//! Random queries built from pieces of the sample events: terms, phrases, field values and
//! globs cut from real values, combined with operators.
class QueryGen {
 public:
  QueryGen(const std::vector<Event>& events, uint32_t seed) : events_(events), rng_(seed) {}

  std::string Make(int depth = 0) {
    switch (Pick(depth > 3 ? 4 : 8)) {
      case 0: return Term();
      case 1: return Phrase();
      case 2: return FieldValue();
      case 3: return Glob();
      case 4: return Make(depth + 1) + " " + Make(depth + 1);
      case 5: return Make(depth + 1) + " OR " + Make(depth + 1);
      case 6: return "NOT " + Make(depth + 1);
      default: return "(" + Make(depth + 1) + ")";
    }
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  const Event& AnyEvent() { return events_[Pick(events_.size())]; }
  std::string_view Substring(std::string_view s) {
    if (s.empty()) return s;
    size_t a = Pick(s.size()), b = Pick(s.size());
    if (a > b) std::swap(a, b);
    return s.substr(a, b - a + 1);
  }
  static std::string Quote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out + "\"";
  }
  std::string Term() {
    // A whole token (often matching) or a bare-word substring.
    std::vector<std::string_view> tokens;
    ForEachToken(AnyEvent().original, [&](std::string_view t) { tokens.push_back(t); });
    if (tokens.empty() || Pick(3) == 0) return "sshd";
    std::string t(tokens[Pick(tokens.size())]);
    if (Pick(2)) {
      for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return t;
  }
  std::string Phrase() {
    std::string_view s = Substring(AnyEvent().original);
    return s.empty() ? "\"x\"" : Quote(s);
  }
  std::pair<std::string, std::string> AnyField() {
    const Event& e = AnyEvent();
    if (e.fields.empty()) return {"host.name", "web1"};
    return e.fields[Pick(e.fields.size())];
  }
  std::string FieldValue() {
    auto [name, value] = AnyField();
    return name + ":" + Quote(value);
  }
  std::string Glob() {
    auto [name, value] = AnyField();
    // Replace 1-3 random spans (possibly empty) by '*'.
    std::string v = value;
    for (int n = 1 + static_cast<int>(Pick(3)); n > 0; --n) {
      size_t a = Pick(v.size() + 1), len = Pick(4);
      v.replace(a, std::min(len, v.size() - a), "*");
    }
    // Bare words end at whitespace, parentheses and quotes: keep only safe globs.
    for (char c : v) {
      if (c == ' ' || c == '(' || c == ')' || c == '"' || c == '\t') return name + ":*";
    }
    return name + ":" + v;
  }

  const std::vector<Event>& events_;
  std::mt19937 rng_;
};

TEST(QueryMayMatch, NeverWrongOnSamples) {
  std::vector<Event> events = SampleEvents();
  std::vector<std::unordered_set<uint64_t>> sets;
  for (const Event& e : events) sets.push_back(TokenSet(e));

  std::vector<std::string> queries = {
      "sshd", "10.1.2.3", "10.1.2.30", "\"Failed password\"", "password", "port 22",
      "host.name:web1", "host.name:WEB2", "user.name:adm*", "user.name:*MIN*", "process.name:*.exe",
      "file.path:*\\cmd.exe", "host.name:*.corp.example.com", "host.name:win-01*",
      "url.original:/index.html*", "url.original:*a-b.c", "user_agent.original:Mozilla/5.0*",
      "\"x86_64)\"", "--verbose", "/usr/bin/ssh", "user@example.com", "example.com",
      "guid:3f2504e0-*", "guid:*-0305e82c3301", "guid:*4f89-11d3*", "tags:ufw,*",
      "destination.ip:192.168.0.*", "source.ip:*.0.10", "\".-.x-y.-.\"", "x-y", "\"x-y.-\"",
      "caf\xc3\xa9", "message:CAF\xc3\xa9*", "na\xc3\xafve-test", "\"quoted \\\\ stuff\"",
      "NOT sshd", "sshd OR 10.9.9.9", "-host.name:web1 sshd", "*", "host.name:*",
      "http.response.status_code:200", "SRC=192.168.0.10", "[UFW BLOCK]", "\"IN=eth0 SRC\"",
  };
  int matched = 0;
  auto check = [&](const std::string& text) {
    auto parsed = Query::Parse(text);
    if (!std::holds_alternative<Query>(parsed)) return;
    const Query& q = std::get<Query>(parsed);
    for (size_t i = 0; i < events.size(); ++i) {
      if (q.Matches(EventAccessor(events[i]))) {
        ++matched;
        EXPECT_TRUE(q.MayMatch(FilterOf(sets[i])))
            << "query [" << text << "] matches [" << events[i].original << "] but was pruned";
      }
    }
  };
  for (const std::string& q : queries) {
    ASSERT_TRUE(std::holds_alternative<Query>(Query::Parse(q))) << q;
    check(q);
  }
  QueryGen gen(events, 12345);
  for (int i = 0; i < 20000; ++i) check(gen.Make());
  EXPECT_GT(matched, 5000);  // the property was actually exercised
}

TEST(QueryAnswer, SettlesOnlyWhatEveryRowOfTheBlockAgreesOn) {
  std::unordered_set<uint64_t> empty;
  auto none = FilterOf(empty);
  EXPECT_EQ(MustParse("*").Answer(none), BlockAnswer::kAll);
  EXPECT_EQ(MustParse("NOT event.dataset:kamatama.audit").Answer(none), BlockAnswer::kAll);
  EXPECT_EQ(MustParse("sshd").Answer(none), BlockAnswer::kNone);
  EXPECT_EQ(MustParse("NOT NOT sshd").Answer(none), BlockAnswer::kNone);
  EXPECT_EQ(MustParse("sshd OR NOT x").Answer(none), BlockAnswer::kAll);
  EXPECT_EQ(MustParse("user.name:root AND NOT x").Answer(none), BlockAnswer::kNone);
  EXPECT_EQ(MustParse("NOT _exists_:x").Answer(none), BlockAnswer::kSome);  // the rows tell
  EXPECT_EQ(MustParse("NOT x:[1 TO 2]").Answer(none), BlockAnswer::kSome);
  EXPECT_EQ(MustParse("NOT x:adm*").Answer(none), BlockAnswer::kSome);  // no bounded token
  std::vector<Event> events = SampleEvents();
  auto set = TokenSet(events[0]);
  EXPECT_EQ(MustParse("NOT sshd").Answer(FilterOf(set)), BlockAnswer::kSome);
  EXPECT_EQ(MustParse("NOT 10.9.9.9").Answer(FilterOf(set)), BlockAnswer::kAll);

  // Blocks of 1-4 sample events with their exact token sets: kNone must mean no row matches,
  // kAll that every row does, for 20,000 generated queries.
  std::mt19937 rng(7);
  QueryGen gen(events, 4242);
  int all = 0, nothing = 0;
  for (int i = 0; i < 20000; ++i) {
    auto parsed = Query::Parse(gen.Make());
    if (!std::holds_alternative<Query>(parsed)) continue;
    const Query& q = std::get<Query>(parsed);
    std::vector<const Event*> block;
    std::unordered_set<uint64_t> tokens;
    for (size_t n = 1 + rng() % 4; block.size() < n;) {
      const Event& e = events[rng() % events.size()];
      block.push_back(&e);
      auto t = TokenSet(e);
      tokens.insert(t.begin(), t.end());
    }
    const BlockAnswer a = q.Answer(FilterOf(tokens));
    if (a == BlockAnswer::kSome) continue;
    (a == BlockAnswer::kAll ? all : nothing)++;
    for (const Event* e : block) {
      EXPECT_EQ(q.Matches(EventAccessor(*e)), a == BlockAnswer::kAll)
          << q.ToString() << " answered " << (a == BlockAnswer::kAll ? "all" : "none") << " but " << e->original;
    }
  }
  EXPECT_GT(all, 500);  // both verdicts were exercised
  EXPECT_GT(nothing, 500);
}

// --- hostile input -------------------------------------------------------------------------

void Exercise(std::string_view text) {
  auto parsed = Query::Parse(text);
  if (auto* err = std::get_if<ParseError>(&parsed)) {
    EXPECT_LE(err->position, text.size());
    EXPECT_FALSE(err->message.empty());
    EXPECT_FALSE(err->expected.empty());
    return;
  }
  const Query& q = std::get<Query>(parsed);
  Event e;
  e.original = std::string(text.substr(0, 1024));  // matching costs terms x line length
  e.Add("host.name", "web1");
  (void)q.Matches(EventAccessor(e));
  std::unordered_set<uint64_t> set = TokenSet(e);
  if (q.Matches(EventAccessor(e))) {
    EXPECT_TRUE(q.MayMatch(FilterOf(set))) << text;
  }
  (void)q.ToString();
  (void)q.ReferencedFields();
}

TEST(QueryHostile, DeepNesting) {
  ParseError err = MustFail(std::string(kMaxQueryBytes, '('));
  EXPECT_EQ(err.position, static_cast<size_t>(kMaxDepth));
  std::string nots;
  for (int i = 0; i < 10000; ++i) nots += "NOT ";
  err = MustFail(nots);
  EXPECT_EQ(err.position, 4u * kMaxDepth);
  err = MustFail(nots + "a");
  EXPECT_EQ(err.position, 4u * kMaxDepth);
  err = MustFail(std::string(10000, '!') + "a");
  EXPECT_EQ(err.position, static_cast<size_t>(kMaxDepth));
  // "--...a" is one term ('-' is NOT only before something other than '-').
  EXPECT_EQ(MustParse(std::string(10000, '-') + "a").ToString(),
            "(TERM " + std::string(10000, '-') + "a)");
}

TEST(QueryHostile, LongFlatQueries) {
  std::string ands, ors;
  for (int i = 0; i < 20000; ++i) ands += "a ";
  for (int i = 0; i < 10000; ++i) ors += "a OR ";
  ors += "a";
  Exercise(ands);
  Exercise(ors);
  EXPECT_TRUE(std::holds_alternative<Query>(Query::Parse(ands)));
  EXPECT_TRUE(std::holds_alternative<Query>(Query::Parse(ors)));
  Exercise(std::string(kMaxQueryBytes, ')'));
  Exercise(std::string(kMaxQueryBytes, '"'));
  Exercise(std::string(kMaxQueryBytes, '*'));
  Exercise(std::string(kMaxQueryBytes, ':'));
  Exercise("f:" + std::string(kMaxQueryBytes - 2, '*'));
}

TEST(QueryHostile, RandomBytes) {
  std::mt19937 rng(42);
  const std::string syntax = "()\"\\:*!-&| aAND OR NOT.f@_0";
  for (int i = 0; i < 20000; ++i) {
    const size_t len = std::uniform_int_distribution<size_t>(0, 64)(rng);
    const bool bytes = i % 2 == 0;
    std::string s;
    for (size_t k = 0; k < len; ++k) {
      s.push_back(bytes ? static_cast<char>(rng() & 0xff) : syntax[rng() % syntax.size()]);
    }
    Exercise(s);
  }
}

// --- regex, ranges, CIDR, _exists_, free-text wildcards -------------------------------------

TEST(QueryParseExt, Trees) {
  EXPECT_EQ(Tree("host.name:/web[0-9]+/"), R"((REGEX host.name "web[0-9]+"))");
  EXPECT_EQ(Tree("/fail(ed)? pass/"), R"((REGEX "fail(ed)? pass"))");
  EXPECT_EQ(Tree(R"(url.path:/\/api\/v[12]/)"), R"((REGEX url.path "/api/v[12]"))");
  EXPECT_EQ(Tree(R"(/a\\/ b)"), R"((AND (REGEX "a\\\\") (TERM b)))");  // \\ then the closing /
  EXPECT_EQ(Tree("-/x y/ z"), R"((AND (NOT (REGEX "x y")) (TERM z)))");
  EXPECT_EQ(Tree(R"x((/a\)/))x"), R"x((REGEX "a\\)"))x");
  // Not a regex: the closing '/' does not end the word, or the pattern is empty.
  EXPECT_EQ(Tree("/usr/bin/ssh"), "(TERM /usr/bin/ssh)");
  EXPECT_EQ(Tree("url.path:/api/v1/users"), R"((FIELD url.path "/api/v1/users"))");
  EXPECT_EQ(Tree("//"), "(TERM //)");
  EXPECT_EQ(Tree("/"), "(TERM /)");

  EXPECT_EQ(Tree("destination.port:[1 TO 1023]"), "(RANGE destination.port int [1 TO 1023])");
  EXPECT_EQ(Tree("destination.port:{1 TO 1023}"), "(RANGE destination.port int {1 TO 1023})");
  EXPECT_EQ(Tree("destination.port:[1 TO 1023}"), "(RANGE destination.port int [1 TO 1023})");
  EXPECT_EQ(Tree("destination.port:[ 1024  TO * ] x"),
            "(AND (RANGE destination.port int [1024 TO *]) (TERM x))");
  EXPECT_EQ(Tree("destination.port:>1023"), "(RANGE destination.port int {1023 TO *])");
  EXPECT_EQ(Tree("destination.port:>=1024"), "(RANGE destination.port int [1024 TO *])");
  EXPECT_EQ(Tree("destination.port:<1024"), "(RANGE destination.port int [* TO 1024})");
  EXPECT_EQ(Tree("destination.port:<=1023"), "(RANGE destination.port int [* TO 1023])");
  EXPECT_EQ(Tree("event.code:[4624 TO 4625]"), "(RANGE event.code int [4624 TO 4625])");
  EXPECT_EQ(Tree("user.name:[a TO m}"), R"((RANGE user.name string ["a" TO "m"}))");
  EXPECT_EQ(Tree(R"(user.name:>"b c")"), R"((RANGE user.name string {"b c" TO *]))");
  EXPECT_EQ(Tree("source.ip:[10.0.0.0 TO 10.0.0.255]"),
            "(RANGE source.ip ip [10.0.0.0 TO 10.0.0.255])");
  EXPECT_EQ(Tree("x.addr:[::1 TO ::ff]"), "(RANGE x.addr ip [::1 TO ::ff])");
  EXPECT_EQ(Tree("event.ingested:>=2026-11-26T12:00:00Z"),
            "(RANGE event.ingested time [2026-11-26T12:00:00Z TO *])");
  EXPECT_EQ(Tree("(destination.port:[1 TO 2])"), "(RANGE destination.port int [1 TO 2])");

  EXPECT_EQ(Tree("source.ip:10.0.0.0/8"), "(CIDR source.ip 10.0.0.0/8)");
  EXPECT_EQ(Tree("source.ip:2001:db8::/32"), "(CIDR source.ip 2001:db8::/32)");
  EXPECT_EQ(Tree("other:192.168.0.0/16"), "(CIDR other 192.168.0.0/16)");
  EXPECT_EQ(Tree("url.path:a/b"), R"((FIELD url.path "a/b"))");
  EXPECT_EQ(Tree("source.ip:2001:db8::1"), R"((FIELD source.ip "2001:db8::1"))");

  EXPECT_EQ(Tree("_exists_:user.name"), "(EXISTS user.name)");
  EXPECT_EQ(Tree("NOT _exists_:error.message"), "(NOT (EXISTS error.message))");

  EXPECT_EQ(Tree("adm*"), "(WILDCARD adm*)");
  EXPECT_EQ(Tree("*.exe sshd"), "(AND (WILDCARD *.exe) (TERM sshd))");
  EXPECT_EQ(Tree("-10.1.*"), "(NOT (WILDCARD 10.1.*))");
}

TEST(QueryParseExt, ErrorPositions) {
  const ErrorCase cases[] = {
      // bad regex: inside the pattern where RE2 points, else at its first byte
      {"host.name:/ab(c/", 11, "missing )"},
      {"a /x[/", 4, "missing ]"},
      {"f:/a{1001}/", 4, "repetition"},
      {"/(?P<n>a/", 1, "bad regular expression"},
      // bad ranges
      {"destination.port:[1 2]", 20, "expected TO"},
      {"destination.port:[1TO 2]", 22, "expected TO"},
      {"destination.port:[1 TO 2", 24, "not closed"},
      {"destination.port:[1 TO 2)", 25, "not closed"},
      {"destination.port:[ TO 2]", 22, "expected TO"},
      {"destination.port:[]", 18, "missing a lower bound"},
      {"destination.port:[1 TO ]", 23, "missing an upper bound"},
      {"destination.port:[1 TO 2]x", 25, "after range"},
      {"destination.port:[a TO 2]", 18, "is a number"},
      {"destination.port:>http", 18, "is a number"},
      {"destination.port:>", 18, "missing bound"},
      {"destination.port:>=", 19, "missing bound"},
      {"destination.port:>*", 18, "not a bound"},
      {"source.ip:[10.0.0.1 TO ::1]", 23, "cannot be mixed"},
      {"source.ip:>web1", 11, "is an IP address"},
      {"@timestamp:[yesterday TO *]", 12, "bad time bound"},
      {"event.ingested:<12:00", 16, "bad time bound"},
      {"user.name:[\"a TO b]", 11, "unterminated"},
      // @timestamp ranges must fold into TimeBounds
      {"a OR @timestamp:>2026-01-01", 5, "@timestamp range"},
      {"NOT @timestamp:>2026-01-01", 4, "@timestamp range"},
      // bad CIDR
      {"source.ip:10.0.0.0/33", 19, "prefix length"},
      {"source.ip:10.0.0.0/", 19, "prefix length"},
      {"source.ip:10.0.0.0/x", 19, "prefix length"},
      {"source.ip:2001:db8::/129", 21, "prefix length"},
      {"source.ip:10.0.0.0/0008", 19, "prefix length"},
      {"source.ip:10.0.0.300/8", 10, "not an IP address"},
      {"source.ip:web/8", 10, "not an IP address"},
      // _exists_
      {"_exists_:\"x\"", 9, "field name"},
      {"_exists_:a:b", 9, "field name"},
  };
  for (const ErrorCase& c : cases) {
    ParseError err = MustFail(c.query);
    EXPECT_EQ(err.position, c.position) << "[" << c.query << "] " << err.message;
    EXPECT_NE(err.message.find(c.message_part), std::string::npos)
        << "[" << c.query << "] " << err.message;
    EXPECT_FALSE(err.expected.empty()) << c.query;
  }
}

TEST(QueryParseExt, FieldsAndTimeBounds) {
  EXPECT_EQ(MustParse("@timestamp:>2026-01-01 (sshd host.name:web1 OR (* OR nosuch.f:x)) "
                      "_exists_:user.name destination.port:>1 source.ip:10.0.0.0/8 "
                      "host.name:/x/ /free/ ad*")
                .Fields(),
            (std::vector<std::string>{"@timestamp", "host.name", "nosuch.f", "user.name",
                                      "destination.port", "source.ip"}));
  EXPECT_TRUE(MustParse("sshd \"a b\" /x/ ad*").Fields().empty());
  EXPECT_EQ(MustParse("/x/ ad* destination.port:>1 source.ip:::1/128").ReferencedFields(),
            (std::vector<std::string>{"event.original", "destination.port", "source.ip"}));
  EXPECT_TRUE(MustParse("@timestamp:>2026-01-01").ReferencedFields().empty());

  const int64_t day = kNanosPerDay;
  const int64_t d0 = 20418 * day;  // 2025-11-26
  EXPECT_EQ(Query().TimeBounds(), TimeRange{});
  EXPECT_EQ(MustParse("sshd").TimeBounds(), TimeRange{});
  EXPECT_EQ(MustParse("@timestamp:[2025-11-26 TO 2025-11-27}").TimeBounds(),
            (TimeRange{d0, d0 + day}));
  EXPECT_EQ(MustParse("@timestamp:{2025-11-26 TO 2025-11-27]").TimeBounds(),
            (TimeRange{d0 + 1, d0 + day + 1}));
  EXPECT_EQ(MustParse("@timestamp:>=2025-11-26T01:00:00+01:00").TimeBounds(),
            (TimeRange{d0, INT64_MAX}));
  EXPECT_EQ(MustParse("@timestamp:<2025-11-27").TimeBounds(), (TimeRange{INT64_MIN, d0 + day}));
  // Several, also under nested ANDs, intersect; ranges folded away are not errors.
  EXPECT_EQ(MustParse("(sshd @timestamp:>=2025-11-26) AND @timestamp:<2025-11-27 "
                      "@timestamp:[2025-11-20 TO *]")
                .TimeBounds(),
            (TimeRange{d0, d0 + day}));
  EXPECT_EQ(MustParse("* OR @timestamp:>2025-01-01").TimeBounds(), TimeRange{});

  // Folded ranges match every row (the caller narrows the scan); contradictory ones none.
  Event e;
  e.original = "sshd x";
  EXPECT_TRUE(MustParse("@timestamp:>2025-11-26 sshd").Matches(EventAccessor(e)));
  Query empty = MustParse("@timestamp:>2025-11-27 @timestamp:<2025-11-26 sshd");
  EXPECT_TRUE(empty.TimeBounds().Empty());
  EXPECT_FALSE(empty.Matches(EventAccessor(e)));
}

class QueryExtMatchTest : public ::testing::Test {
 protected:
  QueryExtMatchTest() {
    auto add = [&](std::string original,
                   std::vector<std::pair<std::string, std::string>> fields) {
      Event e;
      e.original = std::move(original);
      for (auto& [n, v] : fields) e.Add(n, v);
      events_.push_back(std::move(e));
    };
    add("sshd[1]: Failed password for root from 10.1.2.3 port 22",
        {{"host.name", "web1"}, {"user.name", "root"}, {"source.ip", "10.1.2.3"},
         {"destination.port", "22"}, {"event.code", "4625"}});
    add("sshd[2]: Accepted publickey for Administrator from 2001:db8::7 port 9",
        {{"host.name", "WEB2"}, {"user.name", "Administrator"}, {"source.ip", "2001:DB8:0::7"},
         {"destination.port", "9"}, {"event.code", "abc"}});
    add(R"(C:\Windows\System32\cmd.exe /c whoami 192.168.1.200 ::ffff:10.0.0.1)",
        {{"host.name", "win-01"}, {"process.name", "CMD.EXE"}, {"source.ip", "::ffff:10.0.0.1"},
         {"destination.port", "10"}, {"event.ingested", "2025-11-26T12:00:00Z"},
         {"destination.ip", "192.168.1.200"}});
    add("GET /api/v2/users HTTP/1.1 10.200.0.1 zzz",
        {{"url.path", "/api/v2/users"}, {"source.ip", "10.200.0.1"},
         {"destination.port", "08080"}, {"user.name", "bob"}});
  }

  //! Which events match, e.g. "1--1".
  std::string Which(std::string_view text) {
    Query q = MustParse(text);
    std::string out;
    for (const Event& e : events_) out.push_back(q.Matches(EventAccessor(e)) ? '1' : '-');
    return out;
  }

  std::vector<Event> events_;
};

TEST_F(QueryExtMatchTest, Regex) {
  EXPECT_EQ(Which("host.name:/web[0-9]/"), "1---");     // case-sensitive, whole value
  EXPECT_EQ(Which("host.name:/(?i)web[0-9]/"), "11--");
  EXPECT_EQ(Which("host.name:/web/"), "----");          // whole value: web1 is not web
  EXPECT_EQ(Which("host.name:/web.*/"), "1---");
  EXPECT_EQ(Which("/(Failed|Accepted) \\w+ for/"), "11--");  // free text: anywhere
  EXPECT_EQ(Which("/failed/"), "----");
  EXPECT_EQ(Which("/(?i)failed/"), "1---");
  EXPECT_EQ(Which("/^GET /"), "---1");
  EXPECT_EQ(Which(R"(url.path:/\/api\/v[0-9]+\/.*/)"), "---1");
  EXPECT_EQ(Which(R"(/System32\\cmd\.exe/)"), "--1-");
  EXPECT_EQ(Which("NOT /sshd/"), "--11");
  EXPECT_EQ(Which("user.name:/root|bob/ OR /whoami/"), "1-11");
  EXPECT_EQ(Which("nosuch:/.*/"), "----");
}

TEST_F(QueryExtMatchTest, NumericRanges) {
  EXPECT_EQ(Which("destination.port:[9 TO 10]"), "-11-");
  EXPECT_EQ(Which("destination.port:{9 TO 10]"), "--1-");
  EXPECT_EQ(Which("destination.port:[9 TO 10}"), "-1--");
  EXPECT_EQ(Which("destination.port:<10"), "-1--");   // "9" < "10" numerically
  EXPECT_EQ(Which("destination.port:>9"), "1-11");   // 08080 is 8080
  EXPECT_EQ(Which("destination.port:>=22"), "1--1");
  EXPECT_EQ(Which("destination.port:<=22"), "111-");
  EXPECT_EQ(Which("destination.port:[* TO *]"), "1111");
  EXPECT_EQ(Which("destination.port:[100 TO 1]"), "----");
  EXPECT_EQ(Which("destination.port:[-5 TO 9]"), "-1--");
  // A string field with integer bounds: integer values compare numerically, others never match.
  EXPECT_EQ(Which("event.code:[4600 TO 4700]"), "1---");
  EXPECT_EQ(Which("event.code:>100"), "1---");
}

TEST_F(QueryExtMatchTest, StringRanges) {
  // Lexicographic, ignoring ASCII case.
  EXPECT_EQ(Which("user.name:[a TO c]"), "-1-1");
  EXPECT_EQ(Which("user.name:[A TO Administrator}"), "----");
  EXPECT_EQ(Which("user.name:[A TO administrator]"), "-1--");
  EXPECT_EQ(Which("user.name:>bob"), "1---");
  EXPECT_EQ(Which("user.name:>=BOB"), "1--1");
  EXPECT_EQ(Which("host.name:[web1 TO web2]"), "11--");
  // "9" > "10" as strings: host.name is a string field and these bounds are not integers.
  EXPECT_EQ(Which("url.path:[/api TO /b]"), "---1");
}

TEST_F(QueryExtMatchTest, IpRangesAndTimes) {
  EXPECT_EQ(Which("source.ip:[10.0.0.0 TO 10.255.255.255]"), "1--1");
  EXPECT_EQ(Which("source.ip:[10.1.2.3 TO 10.1.2.3]"), "1---");
  EXPECT_EQ(Which("source.ip:{10.1.2.3 TO 10.200.0.1]"), "---1");
  EXPECT_EQ(Which("source.ip:>=2001:db8::"), "-1--");  // IPv6 bounds never match IPv4
  EXPECT_EQ(Which("source.ip:[::ffff:0:0 TO ::ffff:ffff:ffff]"), "--1-");
  EXPECT_EQ(Which("destination.ip:>192.168.1.9"), "--1-");  // by value, not text ("2" < "9")
  EXPECT_EQ(Which("event.ingested:[2025-11-26 TO 2025-11-27}"), "--1-");
  EXPECT_EQ(Which("event.ingested:>2025-11-26T12:00:00Z"), "----");
  EXPECT_EQ(Which("event.ingested:>=2025-11-26T13:00:00+01:00"), "--1-");
}

TEST_F(QueryExtMatchTest, Cidr) {
  EXPECT_EQ(Which("source.ip:10.0.0.0/8"), "1--1");
  EXPECT_EQ(Which("source.ip:10.1.0.0/16"), "1---");
  EXPECT_EQ(Which("source.ip:10.1.2.3/32"), "1---");
  EXPECT_EQ(Which("source.ip:10.1.2.77/24"), "1---");  // host bits ignored
  EXPECT_EQ(Which("source.ip:10.128.0.0/9"), "---1");
  EXPECT_EQ(Which("source.ip:0.0.0.0/0"), "1--1");      // every IPv4 address, no IPv6
  EXPECT_EQ(Which("source.ip:2001:db8::/32"), "-1--");
  EXPECT_EQ(Which("source.ip:2001:db8:0:0::/64"), "-1--");
  EXPECT_EQ(Which("source.ip:2001:db9::/32"), "----");
  EXPECT_EQ(Which("source.ip:2001:db8::6/127"), "-1--");
  EXPECT_EQ(Which("source.ip:2001:db8::6/128"), "----");
  EXPECT_EQ(Which("source.ip:::/0"), "-11-");            // every IPv6 address
  EXPECT_EQ(Which("source.ip:::ffff:0:0/96"), "--1-");   // v4-mapped is IPv6
  EXPECT_EQ(Which("destination.ip:192.168.0.0/16"), "--1-");
  // Exact addresses on IP fields compare by value.
  EXPECT_EQ(Which("source.ip:2001:db8::7"), "-1--");
  EXPECT_EQ(Which("source.ip:2001:0DB8:0000::0007"), "-1--");
  EXPECT_EQ(Which("source.ip:10.0.0.1"), "----");        // not ::ffff:10.0.0.1
  EXPECT_EQ(Which("source.ip:::ffff:10.0.0.1"), "--1-");
  EXPECT_EQ(Which("source.ip:10.1.2.3"), "1---");
}

TEST_F(QueryExtMatchTest, ExistsAndWildcards) {
  EXPECT_EQ(Which("_exists_:process.name"), "--1-");
  EXPECT_EQ(Which("NOT _exists_:event.code"), "--11");
  EXPECT_EQ(Which("adm*"), "-1--");
  EXPECT_EQ(Which("ADM*"), "-1--");
  EXPECT_EQ(Which("*.exe"), "--1-");
  EXPECT_EQ(Which("*.EXE"), "--1-");
  EXPECT_EQ(Which("pass*"), "1---");
  EXPECT_EQ(Which("*word"), "1---");
  EXPECT_EQ(Which("*ass*"), "1---");
  EXPECT_EQ(Which("10.*"), "1-11");    // compounds 10.1.2.3, 10.0.0.1 and 10.200.0.1
  EXPECT_EQ(Which("192.168.*"), "--1-");
  EXPECT_EQ(Which("ss*d"), "11--");
  EXPECT_EQ(Which("z*z"), "---1");
  EXPECT_EQ(Which("z*zz*z"), "----");  // needs four z's in one token
  EXPECT_EQ(Which("**"), "1111");
  EXPECT_EQ(Which("\"adm*\""), "----");  // quoted: literal
}

// --- pruning with the new constructs -------------------------------------------------------

TEST(QueryMayMatchExt, Prunes) {
  std::vector<Event> events = SampleEvents();
  auto set = TokenSet(events[0]);
  auto filter = FilterOf(set);
  EXPECT_FALSE(MustParse("/Accepted publickey for/").MayMatch(filter));  // "publickey" bounded
  EXPECT_FALSE(MustParse("/x (Accepted|Rejected) y/").MayMatch(filter));
  EXPECT_TRUE(MustParse("/x (Accepted|Failed) y/").MayMatch(filter));
  EXPECT_TRUE(MustParse("/(?i)x Accepted y/").MayMatch(filter));  // case folding: no pruning
  EXPECT_TRUE(MustParse("/Accepted/").MayMatch(filter));  // atom touches the edges: not a token
  EXPECT_FALSE(MustParse("source.ip:172.16.0.0/12").MayMatch(filter));
  EXPECT_FALSE(MustParse("source.ip:10.9.0.0/16").MayMatch(filter));
  EXPECT_TRUE(MustParse("source.ip:10.1.2.0/24").MayMatch(filter));
  EXPECT_TRUE(MustParse("source.ip:2001:db8::/32").MayMatch(filter));
  EXPECT_TRUE(MustParse("destination.port:>1").MayMatch(filter));
  EXPECT_TRUE(MustParse("zz*").MayMatch(filter));
}

//! Queries with the new constructs built from pieces of the sample events.
class ExtQueryGen {
 public:
  ExtQueryGen(const std::vector<Event>& events, uint32_t seed)
      : events_(events), rng_(seed), base_(events, seed + 1) {}
  //! One regex term: `/p/` on the whole line or `field:/p/`.
  std::string MakeRegex() { return Regex(Pick(2) == 0); }

  std::string Make(int depth = 0) {
    switch (Pick(depth > 3 ? 6 : 10)) {
      case 0: return Regex(true);
      case 1: return Regex(false);
      case 2: return Range();
      case 3: return Cidr();
      case 4: return Wildcard();
      case 5: return base_.Make(3);
      case 6: return Make(depth + 1) + " " + Make(depth + 1);
      case 7: return Make(depth + 1) + " OR " + Make(depth + 1);
      case 8: return "NOT " + Make(depth + 1);
      default: return "_exists_:" + AnyField().first;
    }
  }

 private:
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  const Event& AnyEvent() { return events_[Pick(events_.size())]; }
  std::pair<std::string, std::string> AnyField() {
    const Event& e = AnyEvent();
    if (e.fields.empty()) return {"host.name", "web1"};
    return e.fields[Pick(e.fields.size())];
  }
  std::string_view Substring(std::string_view s) {
    if (s.empty()) return s;
    size_t a = Pick(s.size()), b = Pick(s.size());
    if (a > b) std::swap(a, b);
    return s.substr(a, b - a + 1);
  }
  //! A regex from a substring: metacharacters escaped, some bytes turned into '.', a '.*' or an
  //! alternation inserted, sometimes (?i).
  std::string Regex(bool free_text) {
    std::string pattern;
    std::string value;
    std::string field;
    if (free_text) {
      value = std::string(AnyEvent().original);
    } else {
      std::tie(field, value) = AnyField();
    }
    std::string_view piece = free_text ? Substring(value) : std::string_view(value);
    for (char c : piece) {
      const size_t r = Pick(20);
      if (r == 0) {
        pattern += ".";
      } else if (r == 1) {
        pattern += ".*";
      } else if (r == 2) {
        pattern += "(?:zz|";
        pattern += std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : ".";
        pattern += ")";
      } else if (std::isalnum(static_cast<unsigned char>(c)) ||
                 static_cast<unsigned char>(c) >= 0x80) {
        pattern.push_back(c);
      } else if (c == '/') {
        pattern += "\\/";
      } else {
        pattern += "\\";
        pattern.push_back(c);
      }
    }
    if (pattern.empty() || pattern.back() == '\\') pattern = "x";
    if (Pick(4) == 0) pattern = "(?i)" + pattern;
    return (free_text ? "" : field + ":") + "/" + pattern + "/";
  }
  std::string Range() {
    auto [name, value] = AnyField();
    if (value.empty() || value.find_first_of(" ]}\"") != std::string::npos) return name + ":*";
    const char* open[] = {"[", "{"};
    const char* close[] = {"]", "}"};
    switch (Pick(4)) {
      case 0: return name + ":" + open[Pick(2)] + value + " TO *" + close[Pick(2)];
      case 1: return name + ":" + open[Pick(2)] + "* TO " + value + close[Pick(2)];
      case 2: return name + (Pick(2) ? ":>=" : ":<=") + value;
      default: return name + ":" + open[Pick(2)] + value + " TO " + value + close[Pick(2)];
    }
  }
  std::string Cidr() {
    const char* ips[] = {"10.1.2.3", "192.168.0.10", "192.168.0.255", "10.1.2.30", "2001:db8::1"};
    std::string ip = ips[Pick(5)];
    const size_t len = Pick(ip.find(':') != std::string::npos ? 129 : 33);
    return std::string(Pick(2) ? "source.ip" : "destination.ip") + ":" + ip + "/" +
           std::to_string(len);
  }
  std::string Wildcard() {
    std::vector<std::string_view> tokens;
    ForEachToken(AnyEvent().original, [&](std::string_view t) { tokens.push_back(t); });
    if (tokens.empty()) return "ss*";
    std::string t(tokens[Pick(tokens.size())]);
    const size_t a = Pick(t.size() + 1);
    t.replace(a, std::min<size_t>(Pick(3), t.size() - a), "*");
    return t;
  }

  const std::vector<Event>& events_;
  std::mt19937 rng_;
  QueryGen base_;
};

TEST(QueryMayMatchExt, NeverWrongOnSamples) {
  std::vector<Event> events = SampleEvents();
  std::vector<std::unordered_set<uint64_t>> sets;
  for (const Event& e : events) sets.push_back(TokenSet(e));
  int matched = 0, parsed_ok = 0;
  auto check = [&](const std::string& text) {
    auto parsed = Query::Parse(text);
    if (!std::holds_alternative<Query>(parsed)) return;
    ++parsed_ok;
    const Query& q = std::get<Query>(parsed);
    for (size_t i = 0; i < events.size(); ++i) {
      if (q.Matches(EventAccessor(events[i]))) {
        ++matched;
        EXPECT_TRUE(q.MayMatch(FilterOf(sets[i])))
            << "query [" << text << "] matches [" << events[i].original << "] but was pruned";
      }
    }
  };
  for (const char* q : {"/Failed password/", "/ Failed password /", "/(Failed|Accepted) /",
                        "source.ip:10.0.0.0/8", "source.ip:192.168.0.0/24",
                        "destination.ip:192.168.0.255/32", "/sshd\\[1234\\]: Failed/",
                        "host.name:/win-01\\.corp\\..*/", "/ ssh2$/", "file.path:/.*cmd\\.exe/",
                        "guid:/3f2504e0-4f89-.*/", "/caf\xc3\xa9 /", "/ na.ve-test /"}) {
    ASSERT_TRUE(std::holds_alternative<Query>(Query::Parse(q))) << q;
    check(q);
  }
  ExtQueryGen gen(events, 777);
  for (int i = 0; i < 20000; ++i) check(gen.Make());
  EXPECT_GT(parsed_ok, 15000);
  EXPECT_GT(matched, 5000);
}

// The row prefilter (RE2's literal atoms looked for before RE2 runs) never changes an answer:
// every generated regex term gives exactly what RE2 itself says on each sample value.
TEST(QueryRegexRowPrefilter, AgreesWithRe2OnSamples) {
  std::vector<Event> events = SampleEvents();
  ExtQueryGen gen(events, 4242);
  int prefiltered = 0, matched = 0, checked = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string text = gen.MakeRegex();
    auto parsed = Query::Parse(text);
    if (!std::holds_alternative<Query>(parsed)) continue;
    const size_t open = text.find(":/") != std::string::npos && text.front() != '/' ? text.find(":/") + 1 : 0;
    const std::string field = open ? text.substr(0, open - 1) : "";
    const std::string pattern = text.substr(open + 1, text.size() - open - 2);
    RE2 re(pattern);
    ASSERT_TRUE(re.ok()) << text;
    const Query& q = std::get<Query>(parsed);
    prefiltered += q.Root().row_prefilter != nullptr;
    for (const Event& e : events) {
      bool expected = false;
      if (field.empty()) {
        expected = RE2::PartialMatch(e.original, re);
      } else if (const std::string* v = e.Get(field)) {
        expected = field != "@timestamp" && RE2::FullMatch(*v, re);
      }
      ++checked;
      matched += expected;
      EXPECT_EQ(q.Matches(EventAccessor(e)), expected) << text << " on [" << e.original << "]";
    }
  }
  EXPECT_GT(prefiltered, 5000);
  EXPECT_GT(matched, 5000);
  EXPECT_GT(checked, 100000);
}

// What every match's original line must contain (the store skips stretches of lines without it).
TEST(QueryRequiredText, FromTermsPhrasesAndSingleLiteralRegexesAndedAtTheTop) {
  using V = std::vector<std::string>;
  EXPECT_EQ(MustParse("sshd Failed").RequiredText(), (V{"failed", "sshd"}));  // longest first
  EXPECT_EQ(MustParse("\"Failed Password\" user.name:root").RequiredText(), (V{"failed password"}));
  EXPECT_EQ(MustParse("x AND (y OR z)").RequiredText(), (V{"x"}));
  EXPECT_EQ(MustParse("/Trojan\\.Agent-99[0-9]{2}/").RequiredText(), (V{"trojan.agent-99"}));
  EXPECT_EQ(MustParse("198.51.100.77").RequiredText(), (V{"198.51.100.77"}));
  EXPECT_TRUE(MustParse("a OR b").RequiredText().empty());
  EXPECT_TRUE(MustParse("NOT a").RequiredText().empty());
  EXPECT_TRUE(MustParse("user.name:root").RequiredText().empty());
  EXPECT_TRUE(MustParse("message:/abc/").RequiredText().empty());  // a field, not the line
  EXPECT_TRUE(MustParse("/[0-9]+/").RequiredText().empty());       // no literal
  EXPECT_TRUE(MustParse("*").RequiredText().empty());
  // Every sample line a query matches contains its required text.
  std::vector<Event> events = SampleEvents();
  ExtQueryGen gen(events, 99);
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    auto parsed = Query::Parse(gen.Make());
    if (!std::holds_alternative<Query>(parsed)) continue;
    const Query& q = std::get<Query>(parsed);
    for (const Event& e : events) {
      if (!q.Matches(EventAccessor(e))) continue;
      for (const std::string& t : q.RequiredText()) {
        ++checked;
        EXPECT_NE(FindIgnoreCase(e.original, t), std::string_view::npos) << q.ToString() << " on " << e.original;
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

// AND and OR ask their children cheapest first: a field's value before the whole line, a NOT
// after the positive tests like it, a regex on the line last. The written order stays in
// `children` (ToString), and the answers do not depend on the order.
TEST(QueryMatchOrder, CheapTestsFirstNotsAfterPositivesRegexOnTheLineLast) {
  auto order = [](std::string_view text) {
    const Query q = MustParse(text);
    std::string out;
    for (uint32_t k : q.Root().match_order) {
      const Node& n = q.NodeAt(k);
      out += n.kind == NodeKind::kNot ? "not:" : "";
      const Node& m = n.kind == NodeKind::kNot ? q.NodeAt(n.children[0]) : n;
      out += m.field.empty() ? m.text : m.field;
      out += ' ';
    }
    return out;
  };
  EXPECT_EQ(order("198.51.100.77 AND NOT event.dataset:kamatama.audit AND NOT event.dataset:kamatama.internal"),
            "not:event.dataset not:event.dataset 198.51.100.77 ");
  EXPECT_EQ(order("sshd AND NOT event.dataset:x AND user.name:root"), "user.name not:event.dataset sshd ");
  EXPECT_EQ(order("/fail.*/ host.name:web* user.name:root"), "user.name host.name fail.* ");
  EXPECT_EQ(order("sshd OR host.name:web1"), "host.name sshd ");
  EXPECT_EQ(order("user.name:root event.outcome:failure"), "user.name event.outcome ");  // ties keep their order
  const Query q = MustParse("198.51.100.77 AND NOT event.dataset:kamatama.audit");
  EXPECT_EQ(q.ToString(), "(AND (TERM 198.51.100.77) (NOT (FIELD event.dataset \"kamatama.audit\")))");
  ASSERT_EQ(q.Root().match_order.size(), q.Root().children.size());
  Event audit, plain;
  audit.original = "search q=198.51.100.77 by admin";
  audit.Add("event.dataset", "kamatama.audit");
  plain.original = "sshd[1]: Failed password for root from 198.51.100.77 port 22";
  plain.Add("event.dataset", "linux.auth");
  EXPECT_FALSE(q.Matches(EventAccessor(audit)));
  EXPECT_TRUE(q.Matches(EventAccessor(plain)));
  // Generated queries: every AND/OR orders all its children, each once.
  std::vector<Event> events = SampleEvents();
  ExtQueryGen gen(events, 7);
  int bools = 0;
  for (int i = 0; i < 5000; ++i) {
    auto parsed = Query::Parse(gen.Make());
    if (!std::holds_alternative<Query>(parsed)) continue;
    const Query& g = std::get<Query>(parsed);
    std::vector<const Node*> todo{&g.Root()};
    while (!todo.empty()) {
      const Node& n = *todo.back();
      todo.pop_back();
      for (uint32_t kid : n.children) todo.push_back(&g.NodeAt(kid));
      if (n.kind != NodeKind::kAnd && n.kind != NodeKind::kOr) continue;
      ++bools;
      std::vector<uint32_t> a = n.children, b = n.match_order;
      std::sort(a.begin(), a.end());
      std::sort(b.begin(), b.end());
      ASSERT_EQ(a, b) << g.ToString();
    }
  }
  EXPECT_GT(bools, 1000);
}

TEST(QueryRegexRowPrefilter, LiteralsDecideBeforeRe2) {
  const Query q = MustParse("/Trojan\\.Agent-99[0-9]{2}/");
  ASSERT_NE(q.Root().row_prefilter, nullptr);
  EXPECT_EQ(q.Root().row_atoms, std::vector<std::string>{"trojan.agent-99"});
  Event hit, other_case, no_atom, atom_only;
  hit.original = "clamd[1]: /tmp/x.exe: Trojan.Agent-9912 FOUND";
  other_case.original = "clamd[1]: /tmp/x.exe: TROJAN.AGENT-9912 FOUND";  // atom found, RE2 says no
  no_atom.original = "clamd[1]: /tmp/x.exe: Trojan.Agent-1234 FOUND";
  atom_only.original = "clamd[1]: Trojan.Agent-99xx";
  EXPECT_TRUE(q.Matches(EventAccessor(hit)));
  EXPECT_FALSE(q.Matches(EventAccessor(other_case)));
  EXPECT_FALSE(q.Matches(EventAccessor(no_atom)));
  EXPECT_FALSE(q.Matches(EventAccessor(atom_only)));
  EXPECT_TRUE(MustParse("/(?i)trojan\\.agent/").Matches(EventAccessor(other_case)));
  // No literal to look for: RE2 alone decides.
  EXPECT_EQ(MustParse("/[0-9]{4} F/").Root().row_prefilter, nullptr);
  EXPECT_TRUE(MustParse("/[0-9]{4} F/").Matches(EventAccessor(hit)));
}

// --- hostile regexes -----------------------------------------------------------------------

TEST(QueryHostileExt, Regexes) {
  // Exponential for backtracking engines, linear in RE2.
  Event e;
  e.original = std::string(100000, 'a');
  Query q = MustParse("/(a*)*b/");
  EXPECT_FALSE(q.Matches(EventAccessor(e)));
  EXPECT_FALSE(MustParse("/(a|aa)*c/").Matches(EventAccessor(e)));
  EXPECT_TRUE(MustParse("/(a*)*$/").Matches(EventAccessor(e)));
  e.Add("user.name", std::string(50000, 'a') + "!");
  EXPECT_FALSE(MustParse("user.name:/(a+)+/").Matches(EventAccessor(e)));

  // About 10 KB of pattern with huge repetition counts errors cleanly, at the regex.
  std::string big = "x /";
  while (big.size() < 10000) big += "(\\pL{1000}){1000}";
  big += "/";
  ParseError err = MustFail(big);
  EXPECT_GE(err.position, 3u);
  EXPECT_LT(err.position, big.size());
  EXPECT_FALSE(err.expected.empty());
  err = MustFail("f:/\\pL{1000}/");  // within RE2's repetition limit, beyond max_mem
  EXPECT_EQ(err.position, 3u);
  EXPECT_NE(err.message.find("too large"), std::string::npos) << err.message;
  std::string wide = "/";
  for (int i = 0; i < 1250; ++i) wide += "\\pL{200}";
  err = MustFail(wide + "/");
  EXPECT_NE(err.message.find("too large"), std::string::npos) << err.message;

  // The number of regexes is bounded.
  std::string many;
  for (int i = 0; i < kMaxRegexes; ++i) many += "/a" + std::to_string(i) + "/ OR ";
  EXPECT_TRUE(std::holds_alternative<Query>(Query::Parse(many + "x")));
  err = MustFail(many + "/last/");
  EXPECT_EQ(err.position, many.size());
  EXPECT_NE(err.message.find("too many"), std::string::npos);

  // Random syntax including the new constructs never crashes.
  std::mt19937 rng(7);
  const std::string syntax = "()[]{}/\\\"*:<>=!-TO .f_@0a:1/8";
  for (int i = 0; i < 20000; ++i) {
    const size_t len = std::uniform_int_distribution<size_t>(0, 40)(rng);
    std::string s = i % 3 == 0 ? "f:" : i % 3 == 1 ? "source.ip:" : "";
    for (size_t k = 0; k < len; ++k) s.push_back(syntax[rng() % syntax.size()]);
    Exercise(s);
  }
}

}  // namespace
}  // namespace kamatama::query
