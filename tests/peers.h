// tests/peers.h
//! Python peers of the integration tests as child processes (issue 21, 25): the webhook receiver
//! (tests/notify_receiver.py) and the SMTP server (tests/notify_smtp.py), each printing "port N"
//! once listening and stopped by its pid.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "tests/harness.h"

namespace kmt_test {

//! A script of tests/.
inline std::string Script(const char* name) { return std::string(KMT_SOURCE_DIR) + "/tests/" + name; }

//! A Python that has aiosmtpd: the one on PATH, or Debian's, where python3-aiosmtpd installs it
//! (a python3 of another installation may come first on PATH). Empty: none.
inline std::string Python() {
  static const std::string found = [] {
    for (const char* py : {"python3", "/usr/bin/python3"}) {
      if (Shell(std::string(py) + " -c 'import aiosmtpd' >/dev/null 2>&1 && echo ok").find("ok") != std::string::npos) return py;
    }
    return "";
  }();
  return found;
}

//! A Python peer (receiver or SMTP server) as a child process, stopped by its pid.
class Peer {
 public:
  Peer(const std::string& dir, const std::string& name, std::vector<std::string> args) : log_(dir + "/" + name + ".log") {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::fopen(log_.c_str(), "w");
      ::dup2(fileno(f), 1);
      ::dup2(fileno(f), 2);
      std::vector<char*> argv;
      args.insert(args.begin(), Python());
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      _exit(127);
    }
    Eventually([&] {
      const std::string text = ReadFile(log_);
      const size_t at = text.find("port ");
      if (at != std::string::npos) port_ = std::atoi(text.c_str() + at + 5);
      return port_ > 0;
    }, 30000);
  }
  ~Peer() { Stop(); }
  void Stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  int port() const { return port_; }
  std::string log() const { return ReadFile(log_); }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

//! The JSON lines a peer recorded.
inline std::vector<std::string> Lines(const std::string& file) {
  std::vector<std::string> out;
  std::istringstream in(ReadFile(file));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace kmt_test
