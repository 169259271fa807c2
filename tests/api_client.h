// tests/api_client.h
//! JSON requests to a test server through curl, as the admin or as a user whose password is
//! `<user>-password` (the integration tests of issue 25: library, schedule).
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "tests/harness.h"

namespace kmt_test {

//! `method path` with `json` as the body (none when empty) as `user` (the admin when empty); the
//! body, *code the status. The body is written to `dir`/body.json first.
inline std::string SendJson(const Server& server, const std::string& dir, const std::string& method,
                            const std::string& path, const std::string& json, int* code, const std::string& user = "") {
  std::ofstream(dir + "/body.json") << json;
  const std::string as = user.empty() ? "" : "-u " + ShellQuote(user + ":" + user + "-password") + " ";
  const std::string url = user.empty() ? server.Url(path) : server.AnonUrl(path);
  const std::string data =
      json.empty() ? "" : " -H 'Content-Type: application/json' --data-binary @" + ShellQuote(dir + "/body.json");
  std::string out = Shell("curl -s -m 30 -w '\\n%{http_code}' " + as + "-X " + method + data + " " + ShellQuote(url));
  size_t nl = out.rfind('\n');
  *code = std::atoi(out.c_str() + nl + 1);
  return out.substr(0, nl);
}

//! SendJson, expecting status `want`; the parsed answer (an empty object when it is not JSON),
//! its text in *last.
inline simdjson::dom::element ExpectJson(const Server& server, const std::string& dir, simdjson::dom::parser& parser,
                                         std::string* last, int want, const std::string& method, const std::string& path,
                                         const std::string& json, const std::string& user = "") {
  int code = 0;
  *last = SendJson(server, dir, method, path, json, &code, user);
  EXPECT_EQ(code, want) << method << " " << path << " as " << (user.empty() ? "admin" : user) << ": " << *last;
  simdjson::dom::element e;
  static const std::string kEmpty = "{}";
  if (parser.parse(*last).get(e)) {
    simdjson::error_code empty = parser.parse(kEmpty).get(e);
    EXPECT_FALSE(empty);
  }
  return e;
}

}  // namespace kmt_test
