// tests/core_test.cc: time, JSON escaping, tokens.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/base64.h"
#include "core/event.h"
#include "core/json.h"
#include "core/time.h"
#include "core/tokenize.h"

using namespace kamatama;

TEST(Time, Rfc3339RoundTrip) {
  auto t = ParseRfc3339("2026-11-26T12:34:56.789Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-26T12:34:56.789Z");
  EXPECT_EQ(*ParseRfc3339("2026-11-26T13:34:56.789+01:00"), *t);
  EXPECT_EQ(*ParseRfc3339("2026-11-26 12:34:56.789"), *t);
  EXPECT_EQ(FormatRfc3339(*ParseRfc3339("1999-12-31T23:59:59.000001Z")), "1999-12-31T23:59:59.000001Z");
  EXPECT_FALSE(ParseRfc3339("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(ParseRfc3339("yesterday"));
  EXPECT_FALSE(ParseRfc3339("2026-11-26T12:00:00Zjunk"));
}

TEST(Time, ApiTimes) {
  int64_t now = *ParseRfc3339("2026-11-26T12:00:00Z");
  EXPECT_EQ(*ParseApiTime("now", now), now);
  EXPECT_EQ(*ParseApiTime("-15m", now), now - 15 * 60 * kNanosPerSecond);
  EXPECT_EQ(*ParseApiTime("now-2h", now), now - 2 * 3600 * kNanosPerSecond);
  EXPECT_EQ(*ParseApiTime("-7d", now), now - 7 * kNanosPerDay);
  EXPECT_EQ(*ParseApiTime("2026-11-25T00:00:00Z", now), *ParseRfc3339("2026-11-25T00:00:00Z"));
  EXPECT_EQ(*ParseApiTime("1764158400", now), 1764158400LL * kNanosPerSecond);
  EXPECT_FALSE(ParseApiTime("-15x", now));
  EXPECT_FALSE(ParseApiTime("", now));
}

TEST(Time, OutOfRangeTimesAreRefusedAsSuch) {
  TimeFault fault = TimeFault::kNone;
  EXPECT_FALSE(ParseRfc3339("0001-01-01", &fault));
  EXPECT_EQ(fault, TimeFault::kRange);
  EXPECT_FALSE(ParseRfc3339("9999-12-31T23:59:59.999999999Z", &fault));
  EXPECT_EQ(fault, TimeFault::kRange);
  EXPECT_FALSE(ParseRfc3339("1677-12-31T23:59:59Z", &fault));
  EXPECT_EQ(fault, TimeFault::kRange);
  EXPECT_FALSE(ParseRfc3339("2262-01-01T00:00:00Z", &fault));
  EXPECT_EQ(fault, TimeFault::kRange);
  // The edges, also reached through a zone offset.
  EXPECT_EQ(*ParseRfc3339("1678-01-01T00:00:00Z", &fault), kMinTimeNs);
  EXPECT_EQ(fault, TimeFault::kNone);
  EXPECT_EQ(*ParseRfc3339("2261-12-31T23:59:59.999999999Z"), kMaxTimeNs);
  EXPECT_EQ(*ParseRfc3339("2262-01-01T00:59:59.999999999+01:00"), kMaxTimeNs);
  EXPECT_FALSE(ParseRfc3339("1678-01-01T00:00:00+00:01", &fault));
  EXPECT_EQ(fault, TimeFault::kRange);
  EXPECT_EQ(FormatRfc3339(kMinTimeNs), "1678-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(kMaxTimeNs), "2261-12-31T23:59:59.999999999Z");
  // A malformed text stays a syntax fault whatever its year.
  EXPECT_FALSE(ParseRfc3339("0001-01-01Tjunk", &fault));
  EXPECT_EQ(fault, TimeFault::kSyntax);
  EXPECT_FALSE(ParseRfc3339("2026-02-30X", &fault));
  EXPECT_EQ(fault, TimeFault::kSyntax);
}

TEST(Time, ApiTimesNeverOverflow) {
  const int64_t now = *ParseRfc3339("2026-11-26T12:00:00Z");
  TimeFault fault = TimeFault::kNone;
  // Epoch seconds and milliseconds past 2261, a number past int64, relative times past either edge.
  for (const char* text : {"99999999999", "9214646400", "9214646400000", "99999999999999999999", "now+100000d",
                           "+15250w", "0001-01-01"}) {
    EXPECT_FALSE(ParseApiTime(text, now, &fault)) << text;
    EXPECT_EQ(fault, TimeFault::kRange) << text;
  }
  EXPECT_EQ(*ParseApiTime("9214646399", now, &fault), 9214646399 * kNanosPerSecond);
  EXPECT_EQ(*ParseApiTime("9214646399999", now), 9214646399999 * 1'000'000);
  EXPECT_EQ(*ParseApiTime("-100w", now), now - 100 * 7 * kNanosPerDay);
  // From a 'now' given early, a long duration back passes int64 (the 'at' of investigate is such a now).
  EXPECT_FALSE(ParseApiTime("-9223372036854775807ns", kMinTimeNs, &fault));
  EXPECT_EQ(fault, TimeFault::kRange);
  EXPECT_FALSE(ParseApiTime("-1ns", kMinTimeNs, &fault));
  EXPECT_EQ(fault, TimeFault::kRange);
  EXPECT_FALSE(ParseApiTime("12ab", now, &fault));
  EXPECT_EQ(fault, TimeFault::kSyntax);
  EXPECT_FALSE(ParseApiTime("now+2x", now, &fault));
  EXPECT_EQ(fault, TimeFault::kSyntax);
}

TEST(Time, DayOfNegative) {
  EXPECT_EQ(DayOf(0), 0);
  EXPECT_EQ(DayOf(-1), -1);
  EXPECT_EQ(DayOf(kNanosPerDay), 1);
  auto d = CivilFromDays(DaysFromCivil(2024, 2, 29));
  EXPECT_EQ(d.year, 2024);
  EXPECT_EQ(d.month, 2u);
  EXPECT_EQ(d.day, 29u);
}

TEST(Json, EscapesEverythingDangerous) {
  std::string out;
  AppendJsonString(&out, "a\"b\\c\n<script>&\x01\x7f");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u003cscript\\u003e\\u0026\\u0001\\u007f\"");
  out.clear();
  AppendJsonString(&out, std::string_view("ok\xff\xc3(\xe2\x82\xac", 8));
  EXPECT_EQ(out, "\"ok\\ufffd\\ufffd(\xe2\x82\xac\"");
  // Runs of plain text around escapes, at either end and alone.
  out.clear();
  AppendJsonString(&out, "<13>Nov 20 sshd[1]: Failed password for \"root\" from 10.0.0.1>");
  EXPECT_EQ(out, "\"\\u003c13\\u003eNov 20 sshd[1]: Failed password for \\\"root\\\" from 10.0.0.1\\u003e\"");
  out.clear();
  AppendJsonString(&out, "plain text only");
  EXPECT_EQ(out, "\"plain text only\"");
  out.clear();
  AppendJsonString(&out, "");
  EXPECT_EQ(out, "\"\"");
  out.clear();
  AppendJsonString(&out, std::string_view("a\0b\xc3\xa9", 5));
  EXPECT_EQ(out, "\"a\\u0000b\xc3\xa9\"");
  EXPECT_TRUE(IsValidUtf8("h\xc3\xa9llo"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
  EXPECT_EQ(SanitizeUtf8("a\xc0\xaf"), "a\xEF\xBF\xBD\xEF\xBF\xBD");
}

std::vector<std::string> Tokens(std::string_view s) {
  std::vector<std::string> out;
  ForEachToken(s, [&](std::string_view t) { out.emplace_back(t); });
  return out;
}

TEST(Tokenize, WordsAndCompounds) {
  EXPECT_EQ(Tokens("Failed password for root from 10.1.2.3:443 port 22"),
            (std::vector<std::string>{"Failed", "password", "for", "root", "from", "10.1.2.3", "10", "1", "2", "3",
                                      "443", "port", "22"}));
  EXPECT_EQ(Tokens("C:\\Windows\\evil.exe."), (std::vector<std::string>{"C", "Windows", "evil.exe", "evil", "exe"}));
  EXPECT_EQ(Tokens("user@mail.example.com"),
            (std::vector<std::string>{"user", "mail.example.com", "mail", "example", "com"}));
  EXPECT_TRUE(Tokens("").empty());
  EXPECT_TRUE(Tokens("--- ... ::").empty());
}

// The store's filters hash tokens in one pass (HashTokensLower): the same hashes, as a multiset,
// as hashing each token ForEachToken gives, on random texts of word bytes, separators, upper case
// and non-ASCII bytes.
TEST(Tokenize, HashTokensLowerHashesEveryTokenOnce) {
  std::mt19937 rng(24);
  const std::string alphabet = "aZ09_.-.-:= /\\@\x80\xc3\xa9Qq.";
  for (int t = 0; t < 3000; ++t) {
    std::string text;
    const int len = static_cast<int>(rng() % 40);
    for (int i = 0; i < len; ++i) text.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<uint64_t> want, got;
    ForEachToken(text, [&](std::string_view tok) { want.push_back(HashTokenLower(tok)); });
    HashTokensLower(text, &got);
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << text;
  }
  std::vector<uint64_t> got;
  HashTokensLower("SRC=10.1.2.3 Host-A.example.COM.", &got);
  EXPECT_EQ(got.size(), 11u);  // SRC, 10.1.2.3, 10, 1, 2, 3, Host-A.example.COM, Host, A, example, COM
}

TEST(Tokenize, HasTokenRespectsBoundaries) {
  EXPECT_TRUE(HasToken("from 10.1.2.3 port", "10.1.2.3"));
  EXPECT_FALSE(HasToken("from 10.1.2.30 port", "10.1.2.3"));
  EXPECT_TRUE(HasToken("Accepted PASSWORD", "password"));
  EXPECT_FALSE(HasToken("passwords", "password"));
  EXPECT_EQ(HashTokenLower("Root"), HashTokenLower("rOOT"));
  EXPECT_NE(HashTokenLower("root"), HashTokenLower("roo"));
  EXPECT_EQ(FindIgnoreCase("xxABdaBC", "abc"), 5u);
  EXPECT_EQ(FindIgnoreCase("xxABCab", "abc"), 2u);
  EXPECT_EQ(FindIgnoreCase("short", "longer needle"), std::string_view::npos);
}

// Against a plain reference on random text: every needle length (1-40), case mix, position
// (start, end, straddling the 16- and 32-byte steps) and `from`. A quarter of the haystacks are
// long enough (up to 300 bytes) for the AVX2 scan that long runs of lines take.
TEST(Tokenize, FindIgnoreCaseMatchesAReference) {
  std::mt19937 rng(11);
  const std::string alphabet = "aAbB.1-_zZ9 \x80\xff";
  auto ref = [](std::string_view hay, std::string_view needle, size_t from) -> size_t {
    if (needle.size() > hay.size()) return std::string_view::npos;
    for (size_t i = from; i + needle.size() <= hay.size(); ++i)
      if (EqualsIgnoreCase(hay.substr(i, needle.size()), needle)) return i;
    return std::string_view::npos;
  };
  for (int round = 0; round < 20000; ++round) {
    std::string hay(round % 4 == 0 ? rng() % 300 : rng() % 70, ' ');
    for (char& c : hay) c = alphabet[rng() % alphabet.size()];
    std::string needle;
    if (!hay.empty() && rng() % 2) {  // a piece of the haystack, case flipped at random
      size_t at = rng() % hay.size(), len = 1 + rng() % std::min<size_t>(40, hay.size() - at);
      needle = hay.substr(at, len);
      for (char& c : needle)
        if (rng() % 2 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) c ^= 0x20;
    } else {
      needle.resize(1 + rng() % 6);
      for (char& c : needle) c = alphabet[rng() % alphabet.size()];
    }
    const size_t from = hay.empty() ? 0 : rng() % (hay.size() + 1);
    ASSERT_EQ(FindIgnoreCase(hay, needle, from), ref(hay, needle, from))
        << "hay '" << hay << "' needle '" << needle << "' from " << from;
  }
}

TEST(Tokenize, FindIgnoreCaseEveryStrategy) {
  // No letters (memmem), a punctuation anchor, letters only (first byte in both cases).
  EXPECT_EQ(FindIgnoreCase("src=10.0.0.1 dst=198.51.100.77 x", "198.51.100.77"), 17u);
  EXPECT_EQ(FindIgnoreCase("198.51.100.7", "198.51.100.77"), std::string_view::npos);
  EXPECT_EQ(FindIgnoreCase("a_b zz_ZZ ZZ_Needle_USER!", "zz_needle_user"), 10u);
  EXPECT_EQ(FindIgnoreCase("_zz_needle_use", "zz_needle_user"), std::string_view::npos);
  EXPECT_EQ(FindIgnoreCase("user=ROOT", "=root"), 4u);  // anchor at offset 0
  EXPECT_EQ(FindIgnoreCase("x.EXE", ".exe"), 1u);
  EXPECT_EQ(FindIgnoreCase("aaa.exe.exe", ".exe", 4), 7u);  // from past the first match
  EXPECT_EQ(FindIgnoreCase("abc-", "c-"), 2u);           // anchor at the very end
  EXPECT_EQ(FindIgnoreCase("Powershell", "SHELL"), 5u);
  EXPECT_EQ(FindIgnoreCase("1234", "34", 3), std::string_view::npos);
}

TEST(Tokenize, EqualsIgnoreCaseAgreesWithAByteByByteReference) {
  // EqualsIgnoreCase compares eight bytes at a time: every byte pair at every place of a word and
  // of the tail, and random strings with case flips, give the answer of AsciiLower byte by byte.
  auto reference = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
    }
    return true;
  };
  size_t wrong = 0;
  for (size_t at : {0u, 3u, 7u, 9u}) {  // 9: the tail of an 11-byte string
    for (int x = 0; x < 256; ++x) {
      for (int y = 0; y < 256; ++y) {
        std::string a = "abcdefghijk", b = "ABCDEFGHIJK";
        a[at] = static_cast<char>(x);
        b[at] = static_cast<char>(y);
        wrong += EqualsIgnoreCase(a, b) != reference(a, b);
      }
    }
  }
  std::mt19937 rng(7);
  for (int t = 0; t < 200000; ++t) {
    std::string a(rng() % 40, 'x'), b;
    for (char& c : a) c = static_cast<char>(rng() % 256);
    b = a;
    for (char& c : b) c = rng() % 3 ? c : static_cast<char>(rng() % 2 ? c ^ 0x20 : rng() % 256);
    wrong += EqualsIgnoreCase(a, b) != reference(a, b);
  }
  EXPECT_EQ(wrong, 0u);
  EXPECT_TRUE(EqualsIgnoreCase("Microsoft-Windows-Sysmon/Operational", "microsoft-windows-SYSMON/operational"));
  EXPECT_FALSE(EqualsIgnoreCase("Microsoft-Windows-Sysmon/Operational", "microsoft-windows-sysmon/operationaL2"));
  EXPECT_FALSE(EqualsIgnoreCase("C:\\Windows\\[x]", "c:\\windows\\{x}"));  // [ and { differ by 0x20
}

TEST(Event, SetGetTags) {
  Event ev;
  ev.Set("host.name", "a");
  ev.Set("host.name", "b");
  EXPECT_EQ(*ev.Get("host.name"), "b");
  EXPECT_EQ(ev.fields.size(), 1u);
  ev.AddTag("truncated");
  ev.AddTag("x");
  ev.AddTag("truncated");
  EXPECT_EQ(*ev.Get("tags"), "truncated,x");
  EXPECT_TRUE(ev.Remove("host.name"));
  EXPECT_FALSE(ev.Get("host.name"));
  EXPECT_EQ(TypeOfField("source.port"), FieldType::kInt);
  EXPECT_EQ(TypeOfField("source.ip"), FieldType::kIp);
  EXPECT_EQ(TypeOfField("user.name"), FieldType::kString);
}

// RFC 4648 section 10 test vectors (the oracle), both directions, padded and unpadded.
TEST(Base64, Rfc4648VectorsAndRejects) {
  const std::pair<const char*, const char*> kVectors[] = {{"", ""},         {"f", "Zg=="},     {"fo", "Zm8="},
                                                         {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, enc] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), enc);
    std::string out;
    ASSERT_TRUE(Base64Decode(enc, &out)) << enc;
    EXPECT_EQ(out, plain);
    std::string unpadded(enc);
    while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
    ASSERT_TRUE(Base64Decode(unpadded, &out)) << unpadded;
    EXPECT_EQ(out, plain);
  }
  std::string out;
  EXPECT_FALSE(Base64Decode("Zm9v!", &out));
  EXPECT_FALSE(Base64Decode("Zm9vY", &out)) << "one character in the last group";
  EXPECT_FALSE(Base64Decode("Zg=", &out)) << "padding that does not complete the group";
  EXPECT_FALSE(Base64Decode("Zm 9v", &out));
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  ASSERT_TRUE(Base64Decode(Base64Encode(bytes), &out));
  EXPECT_EQ(out, bytes);
}

TEST(Base64, Utf16LeToUtf8) {
  EXPECT_EQ(Utf16LeToUtf8(std::string("h\0\xe9\0", 4)), "h\xc3\xa9");
  EXPECT_EQ(Utf16LeToUtf8(std::string("\x3d\xd8\x00\xde", 4)), "\xf0\x9f\x98\x80") << "surrogate pair (U+1F600)";
  EXPECT_EQ(Utf16LeToUtf8(std::string("\x3d\xd8", 2)), "\xef\xbf\xbd") << "unpaired surrogate";
}
