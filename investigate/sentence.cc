// investigate/sentence.cc
#include "investigate/sentence.h"

#include <fmt/format.h>

namespace kamatama::investigate {

namespace {

std::string_view V(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? std::string_view(*v) : std::string_view();
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

std::string Cut(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  if (s.size() <= kSentenceValueBytes) return std::string(s);
  size_t n = kSentenceValueBytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 sequence
  return std::string(s.substr(0, n)) + " ...";
}

// "pgustavo's " or "".
std::string Owner(const Event& ev) {
  std::string_view u = V(ev, "user.name");
  return u.empty() ? std::string() : std::string(u) + "'s ";
}

std::string OnHost(const Event& ev) {
  std::string_view h = V(ev, "host.name");
  return h.empty() ? std::string() : " on " + ShortHost(h);
}

std::string Endpoint(const Event& ev, std::string_view side) {
  std::string_view ip = V(ev, std::string(side) + ".ip");
  std::string_view domain = V(ev, std::string(side) + ".domain");
  std::string_view port = V(ev, std::string(side) + ".port");
  std::string out(ip.empty() ? domain : ip);
  if (out.empty()) out = "?";
  if (!port.empty()) out += (ip.find(':') != std::string_view::npos ? " port " : ":") + std::string(port);
  return out;
}

std::string ProcessName(const Event& ev, std::string_view prefix = "process.") {
  std::string_view n = V(ev, std::string(prefix) + "name");
  if (n.empty()) n = V(ev, std::string(prefix) + "executable");
  return n.empty() ? std::string("a process") : std::string(n);
}

// "powershell.exe -noP -sta ..." for "\"C:\\...\\powershell.exe\" -noP -sta ...": the name, then the arguments.
std::string NameAndArguments(const Event& ev, std::string_view cl) {
  size_t i = 0;
  while (i < cl.size() && cl[i] == ' ') ++i;
  size_t end;
  if (i < cl.size() && cl[i] == '"') {
    end = cl.find('"', i + 1);
    end = end == std::string_view::npos ? cl.size() : end + 1;
  } else {
    end = cl.find(' ', i);
    if (end == std::string_view::npos) end = cl.size();
  }
  std::string_view args = cl.substr(end);
  while (!args.empty() && args.front() == ' ') args.remove_prefix(1);
  return Cut(args.empty() ? ProcessName(ev) : ProcessName(ev) + " " + std::string(args));
}

std::string ProcessSentence(const Event& ev) {
  std::string_view type = V(ev, "event.type");
  if (type == "end") return fmt::format("{}{} ended{}", Owner(ev), ProcessName(ev), OnHost(ev));
  std::string_view cl = V(ev, "process.command_line");
  std::string what = cl.empty() ? ProcessName(ev) : NameAndArguments(ev, cl);
  std::string_view parent = V(ev, "process.parent.name");
  if (parent.empty()) return fmt::format("{}{} started{}", Owner(ev), what, OnHost(ev));
  return fmt::format("{}{} started {}{}", Owner(ev), parent, what, OnHost(ev));
}

std::string NetworkSentence(const Event& ev) {
  std::string_view ds = V(ev, "event.dataset");
  if (!V(ev, "dns.question.name").empty()) {
    std::string_view answers = V(ev, "dns.resolved_ip");
    // A process on the host (Sysmon 22), or a client of a DNS server, or the server's answer.
    std::string who = !V(ev, "process.executable").empty() ? Owner(ev) + ProcessName(ev)
                      : !V(ev, "source.ip").empty()        ? Endpoint(ev, "source")
                                                           : std::string();
    if (who.empty())
      return fmt::format("{} resolved to {} ({})", V(ev, "dns.question.name"), Cut(answers), ds);
    return fmt::format("{} {} {}{}{}", who, answers.empty() ? "asked for" : "resolved", V(ev, "dns.question.name"),
                       answers.empty() ? "" : " to " + Cut(answers),
                       V(ev, "process.executable").empty() ? " (" + std::string(ds) + ")" : OnHost(ev));
  }
  if (!V(ev, "url.original").empty()) {
    return fmt::format("{} {} {}{}", Endpoint(ev, "source"), V(ev, "http.request.method").empty() ? "requested" : V(ev, "http.request.method"),
                       Cut(V(ev, "url.original")),
                       V(ev, "http.response.status_code").empty() ? "" : fmt::format(" ({})", V(ev, "http.response.status_code")));
  }
  std::string verb = V(ev, "event.action") == "deny" || V(ev, "event.outcome") == "failure" ? "was refused a connection to"
                                                                                             : "connected to";
  if (!V(ev, "process.executable").empty())  // the host's own record of the connection
    return fmt::format("{}{} {} {} from {}{}", Owner(ev), ProcessName(ev), verb, Endpoint(ev, "destination"),
                       Endpoint(ev, "source"), OnHost(ev));
  return fmt::format("{} {} {} ({}{})", Endpoint(ev, "source"), verb, Endpoint(ev, "destination"), ds,
                     V(ev, "event.action").empty() ? "" : ", " + std::string(V(ev, "event.action")));
}

std::string DhcpSentence(const Event& ev) {
  std::string_view ip = V(ev, "client.ip");
  std::string_view host = V(ev, "dhcp.client.hostname");
  std::string_view mac = V(ev, "source.mac");
  std::string who = host.empty() ? std::string(mac) : mac.empty() ? std::string(host) : fmt::format("{} ({})", host, mac);
  return fmt::format("DHCP {}: {}{}", V(ev, "event.action"), ip.empty() ? "" : std::string(ip) + " ",
                     who.empty() ? "" : "for " + who);
}

std::string LogonSentence(const Event& ev) {
  std::string_view action = V(ev, "event.action");
  std::string_view src = V(ev, "source.ip");
  std::string_view type = V(ev, "winlog.logon.type");
  std::string_view outcome = V(ev, "event.outcome");
  std::string verb = V(ev, "event.type") == "end" ? "logged off from"
                     : outcome == "failure"      ? "failed to log on to"
                                                 : "logged on to";
  return fmt::format("{} {} {}{}{}", V(ev, "user.name").empty() ? "someone" : V(ev, "user.name"), verb,
                     ShortHost(V(ev, "host.name")), src.empty() || src == "-" ? "" : " from " + std::string(src),
                     type.empty() ? (action.empty() ? "" : " (" + std::string(action) + ")") : " (" + std::string(type) + ")");
}

}  // namespace

std::string ShortHost(std::string_view host) {
  if (host.empty() || (host[0] >= '0' && host[0] <= '9') || host.find(':') != std::string_view::npos) return std::string(host);
  return std::string(host.substr(0, host.find('.')));
}

std::string Sentence(const Event& ev) {
  std::string_view ds = V(ev, "event.dataset");
  std::string_view cat = V(ev, "event.category");
  if (StartsWith(ds, "dhcp.")) return DhcpSentence(ev);
  if (cat == "process" && (V(ev, "event.type") == "start" || V(ev, "event.type") == "end") && !V(ev, "process.name").empty())
    return ProcessSentence(ev);
  if (cat == "authentication" && !V(ev, "host.name").empty()) return LogonSentence(ev);
  if (cat == "network" || !V(ev, "dns.question.name").empty() || !V(ev, "url.original").empty()) return NetworkSentence(ev);
  if (ds == "sysmon.image_load" && !V(ev, "file.path").empty())
    return fmt::format("{}{} loaded {}{}", Owner(ev), ProcessName(ev), Cut(V(ev, "file.path")), OnHost(ev));
  if (!V(ev, "process.target.name").empty())
    return fmt::format("{}{} opened {} (pid {}){}", Owner(ev), ProcessName(ev), V(ev, "process.target.name"),
                       V(ev, "process.target.pid"), OnHost(ev));
  if (cat == "file" && (!V(ev, "file.path").empty() || !V(ev, "file.name").empty())) {
    std::string_view type = V(ev, "event.type");
    std::string verb = type == "deletion" ? "deleted" : type == "creation" ? "created" : std::string(V(ev, "event.action"));
    std::string_view path = V(ev, "file.path").empty() ? V(ev, "file.name") : V(ev, "file.path");
    return fmt::format("{}{} {} {}{}", Owner(ev), ProcessName(ev), verb, Cut(path), OnHost(ev));
  }
  if (cat == "registry" && !V(ev, "registry.path").empty())
    return fmt::format("{}{} {} {}{}", Owner(ev), ProcessName(ev),
                       V(ev, "event.type") == "deletion" ? "deleted" : "set", Cut(V(ev, "registry.path")), OnHost(ev));
  if (StartsWith(ds, "powershell.")) {
    std::string_view text = V(ev, "powershell.file.script_block_text");
    if (text.empty()) text = V(ev, "powershell.command.invocation_details");
    if (text.empty()) text = V(ev, "powershell.command.name");
    return fmt::format("{}PowerShell ran {}{}", Owner(ev), Cut(text.empty() ? V(ev, "message") : text), OnHost(ev));
  }
  std::string_view msg = V(ev, "message");
  if (msg.empty()) msg = ev.original;
  return fmt::format("{}: {}", ds.empty() ? "event" : ds, Cut(msg));
}

}  // namespace kamatama::investigate
