// ingest/relp.cc
#include "ingest/relp.h"

#include <charconv>

#include <fmt/format.h>

namespace kamatama::ingest {

void AppendRelpFrame(std::string* out, uint32_t txnr, std::string_view command, std::string_view data) {
  fmt::format_to(std::back_inserter(*out), "{} {} {}", txnr, command, data.size());
  if (!data.empty()) {
    out->push_back(' ');
    out->append(data);
  }
  out->push_back('\n');
}

namespace {

std::string Rsp(uint32_t txnr, std::string_view text) {
  std::string out;
  AppendRelpFrame(&out, txnr, "rsp", text);
  return out;
}

// The value list of offer `name` in an open's data ("name=v1,v2" lines), or nullopt-like false.
bool OfferValues(std::string_view offers, std::string_view name, std::string_view* values) {
  while (!offers.empty()) {
    size_t nl = offers.find('\n');
    std::string_view line = offers.substr(0, nl);
    offers = nl == std::string_view::npos ? std::string_view() : offers.substr(nl + 1);
    size_t eq = line.find('=');
    if (line.substr(0, eq) == name) {
      *values = eq == std::string_view::npos ? std::string_view() : line.substr(eq + 1);
      return true;
    }
  }
  return false;
}

bool HasValue(std::string_view values, std::string_view v) {
  while (true) {
    size_t comma = values.find(',');
    if (values.substr(0, comma) == v) return true;
    if (comma == std::string_view::npos) return false;
    values.remove_prefix(comma + 1);
  }
}

RelpStep Failed(std::string why) {
  RelpStep s;
  s.kind = RelpStep::kFail;
  s.why = std::move(why);
  return s;
}

}  // namespace

RelpStep RelpSession::OnFrame(const RelpFrame& f) {
  if (closed_) return Failed("frame after close");
  // librelp's server breaks the session on a transaction number out of sequence; so do we (the
  // client then resends what it holds on a new session).
  if (f.txnr != next_txnr_) return Failed(fmt::format("transaction number {}, expected {}", f.txnr, next_txnr_));
  next_txnr_ = NextRelpTxnr(next_txnr_);
  RelpStep step;
  if (f.command == "syslog") {
    if (!open_) return Failed("syslog before open");
    std::string_view msg = f.data;
    if (!msg.empty() && (msg.back() == '\n' || msg.back() == '\0') && !f.truncated) msg.remove_suffix(1);
    step.kind = msg.empty() ? RelpStep::kRespond : RelpStep::kMessage;  // nothing to store: answer at once
    step.message = msg;
    step.truncated = f.truncated;
    step.response = Rsp(f.txnr, "200 OK");
    return step;
  }
  if (f.command == "open") {
    step.kind = RelpStep::kRespond;
    if (open_) {  // librelp ignores a repeated open the same way
      step.response = Rsp(f.txnr, "200 connection already open - ignored");
      return step;
    }
    std::string_view version, commands;
    int v = -1;
    if (!OfferValues(f.data, "relp_version", &version) ||
        std::from_chars(version.data(), version.data() + version.size(), v).ec != std::errc() || v < 0) {
      step.kind = RelpStep::kClose;
      closed_ = true;
      step.response = Rsp(f.txnr, "500 missing or bad relp_version offer");
      return step;
    }
    if (!OfferValues(f.data, "commands", &commands) || !HasValue(commands, "syslog")) {
      step.kind = RelpStep::kClose;
      closed_ = true;
      step.response = Rsp(f.txnr, "500 required command not supported by client");
      return step;
    }
    open_ = true;
    step.response = Rsp(f.txnr, fmt::format("200 OK\nrelp_version=0\nrelp_software={}\ncommands=syslog", software_));
    return step;
  }
  if (f.command == "close") {
    closed_ = true;
    step.kind = RelpStep::kClose;
    step.response = Rsp(f.txnr, "");  // what librelp's server answers
    return step;
  }
  if (!open_) return Failed(fmt::format("command '{}' before open", f.command));
  step.kind = RelpStep::kRespond;
  step.response = Rsp(f.txnr, "500 command not supported");
  return step;
}

}  // namespace kamatama::ingest
