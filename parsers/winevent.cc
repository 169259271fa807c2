// parsers/winevent.cc
//! The XML scanner walks the input once, tag by tag, with a flat section state (System,
//! EventData, UserData, RenderingInfo) instead of a tree: every loop advances, nothing recurses,
//! and every search is bounded by the end of the input.
#include "parsers/winevent.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>
#include <cstdint>

#include "core/json.h"
#include "core/time.h"
#include "core/tokenize.h"

namespace kamatama::winevent {

namespace {

constexpr size_t npos = std::string_view::npos;

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

inline bool StartsWith(std::string_view s, size_t i, std::string_view p) {
  return i <= s.size() && s.size() - i >= p.size() && s.compare(i, p.size(), p) == 0;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

//! The name without a namespace prefix ("ns0:Data" -> "Data").
std::string_view LocalName(std::string_view name) {
  size_t colon = name.rfind(':');
  return colon == npos ? name : name.substr(colon + 1);
}

//! Whether s[i..] is "<Event" followed by a delimiter (not "<Events", "<EventData", ...).
bool IsEventOpen(std::string_view s, size_t i) {
  if (!StartsWith(s, i, "<Event")) return false;
  if (i + 6 >= s.size()) return false;
  char c = s[i + 6];
  return IsSpace(c) || c == '>' || c == '/';
}

// Character references: NUL, surrogates and values beyond U+10FFFF become U+FFFD.
void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  AppendUtf8(cp, out);
}

//! One parsed start tag: its name, up to kMaxAttrs raw attributes, and whether it is "<x/>".
struct Tag {
  static constexpr size_t kMaxAttrs = 16;
  std::string_view name;
  std::array<std::pair<std::string_view, std::string_view>, kMaxAttrs> attrs;
  size_t n_attrs = 0;
  bool self_closing = false;

  //! The decoded value of an attribute (ASCII case-insensitive name), "" if absent.
  std::string Attr(std::string_view attr) const {
    std::string out;
    for (size_t k = 0; k < n_attrs; ++k) {
      if (EqualsIgnoreCase(attrs[k].first, attr)) {
        AppendXmlDecoded(attrs[k].second, &out);
        break;
      }
    }
    return out;
  }
};

//! Parses the start tag at s[i] == '<'. Returns the position after its '>', or npos when the
//! tag is not terminated inside the input.
size_t ReadStartTag(std::string_view s, size_t i, Tag* t) {
  const size_t n = s.size();
  size_t p = i + 1;
  size_t b = p;
  while (p < n && !IsSpace(s[p]) && s[p] != '>' && s[p] != '/') ++p;
  t->name = s.substr(b, p - b);
  t->n_attrs = 0;
  t->self_closing = false;
  while (p < n) {
    while (p < n && IsSpace(s[p])) ++p;
    if (p >= n) return npos;
    if (s[p] == '>') return p + 1;
    if (s[p] == '/') {
      if (p + 1 < n && s[p + 1] == '>') {
        t->self_closing = true;
        return p + 2;
      }
      ++p;  // stray '/': skip it
      continue;
    }
    b = p;
    while (p < n && !IsSpace(s[p]) && s[p] != '=' && s[p] != '>' && s[p] != '/') ++p;
    std::string_view attr = s.substr(b, p - b);
    while (p < n && IsSpace(s[p])) ++p;
    if (p >= n) return npos;
    if (s[p] != '=') {
      if (p == b) ++p;  // never stall
      continue;         // attribute without value: ignore
    }
    ++p;
    while (p < n && IsSpace(s[p])) ++p;
    if (p >= n) return npos;
    if (s[p] != '"' && s[p] != '\'') {  // unquoted value (not XML, but tolerate it)
      b = p;
      while (p < n && !IsSpace(s[p]) && s[p] != '>') ++p;
    } else {
      const char q = s[p++];
      b = p;
      size_t e = s.find(q, p);
      if (e == npos) return npos;
      p = e + 1;
      if (t->n_attrs < Tag::kMaxAttrs) t->attrs[t->n_attrs++] = {attr, s.substr(b, e - b)};
      continue;
    }
    if (t->n_attrs < Tag::kMaxAttrs) t->attrs[t->n_attrs++] = {attr, s.substr(b, p - b)};
  }
  return npos;
}

//! Reads character data from s[i] up to the next markup that is not CDATA; appends it decoded
//! to *out and returns the position of that '<' (or the end).
size_t ReadText(std::string_view s, size_t i, std::string* out) {
  const size_t n = s.size();
  while (i < n) {
    size_t lt = s.find('<', i);
    if (lt == npos) {
      AppendXmlDecoded(s.substr(i), out);
      return n;
    }
    AppendXmlDecoded(s.substr(i, lt - i), out);
    if (!StartsWith(s, lt, "<![CDATA[")) return lt;
    size_t e = s.find("]]>", lt + 9);
    if (e == npos) {
      out->append(s.substr(lt + 9));
      return n;
    }
    out->append(s.substr(lt + 9, e - lt - 9));
    i = e + 3;
  }
  return n;
}

//! Whether s[i..] is the end tag of `local` ("</Data>", "</ns:Data >").
bool IsEndTagOf(std::string_view s, size_t i, std::string_view local) {
  if (!StartsWith(s, i, "</")) return false;
  size_t p = i + 2, b = p;
  while (p < s.size() && !IsSpace(s[p]) && s[p] != '>') ++p;
  return LocalName(s.substr(b, p - b)) == local;
}

void AddData(Record* r, std::string name, std::string value) {
  if (r->data.size() >= kMaxDataItems) return;
  r->data.emplace_back(std::move(name), std::move(value));
}

const std::string* Field(const Event& ev, std::string_view name) { return ev.Get(name); }

std::string_view FieldOr(const Event& ev, std::string_view name) {
  const std::string* v = ev.Get(name);
  return v ? std::string_view(*v) : std::string_view();
}

//! Fields NXLog's im_msvistalog adds beside the EventData (its System fields and its own), and
//! the names the JSON parser gives the host and message.
bool IsNxlogMetadata(std::string_view k) {
  static constexpr std::string_view kNames[] = {
      "EventTime", "EventTimeWritten", "Hostname", "host.name", "message", "Message", "Keywords", "EventType",
      "SeverityValue", "Severity", "SourceName", "ProviderGuid", "Version", "Task", "OpcodeValue", "RecordNumber",
      "ExecutionProcessID", "ExecutionThreadID", "Channel", "Domain", "AccountName", "UserID", "AccountType",
      "Category", "Opcode", "EventReceivedTime", "SourceModuleName", "SourceModuleType", "EventID", "Level",
      "TimeCreated", "ActivityID", "RelatedActivityID", "ThreadID", "event.dataset", "tags",
      // what Logstash adds when it forwards NXLog's JSON
      "@version", "host", "port"};
  for (std::string_view n : kNames) {
    if (n == k) return true;
  }
  return false;
}

bool HasPrefixField(const Event& ev, std::string_view prefix) {
  for (const auto& f : ev.fields) {
    if (std::string_view(f.first).substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace

// ---------------------------------------------------------------- Record

const std::string* Record::Find(std::string_view name) const {
  for (const auto& [k, v] : data) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

std::string_view Record::Val(std::string_view name) const {
  const std::string* v = Find(name);
  if (!v || *v == "-") return {};
  return *v;
}

// ---------------------------------------------------------------- entities

void AppendXmlDecoded(std::string_view text, std::string* out) {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    size_t amp = text.find('&', i);
    if (amp == npos) {
      out->append(text.substr(i));
      return;
    }
    out->append(text.substr(i, amp - i));
    i = amp;
    // An entity is at most "&#x10FFFF;" or "&quot;" long; look no further than 12 bytes.
    size_t semi = text.substr(amp, 12).find(';');
    if (semi == npos) {
      out->push_back('&');
      ++i;
      continue;
    }
    std::string_view ent = text.substr(amp + 1, semi - 1);
    bool ok = true;
    if (ent == "lt") out->push_back('<');
    else if (ent == "gt") out->push_back('>');
    else if (ent == "amp") out->push_back('&');
    else if (ent == "quot") out->push_back('"');
    else if (ent == "apos") out->push_back('\'');
    else if (ent.size() >= 2 && ent[0] == '#') {
      const bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view digits = ent.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
      if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size()) {
        ok = false;
      } else {
        AppendCodePoint(cp, out);
      }
    } else {
      ok = false;
    }
    if (ok) {
      i = amp + semi + 1;
    } else {
      out->push_back('&');
      ++i;
    }
  }
}

// ---------------------------------------------------------------- XML

bool LooksLikeEventXml(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  // A bounded number of prologue steps: whitespace/BOM/"- ", <?xml?>, <Events>.
  for (int step = 0; step < 8 && i < n; ++step) {
    while (i < n && (IsSpace(s[i]) || s[i] == '-')) ++i;
    if (StartsWith(s, i, "\xEF\xBB\xBF")) {
      i += 3;
      continue;
    }
    if (IsEventOpen(s, i)) return true;
    if (StartsWith(s, i, "<?xml")) {
      size_t e = s.substr(0, std::min(n, i + 256)).find("?>", i);
      if (e == npos) return false;
      i = e + 2;
      continue;
    }
    if (StartsWith(s, i, "<Events>")) {
      i += 8;
      continue;
    }
    return false;
  }
  return false;
}

bool ScanEventXml(std::string_view s, Record* out) {
  *out = Record();
  out->form = Form::kXml;
  const size_t n = s.size();
  size_t i = 0;
  for (;;) {  // the first "<Event" + delimiter
    i = s.find("<Event", i);
    if (i == npos) return false;
    if (IsEventOpen(s, i)) break;
    i += 6;
  }
  enum class Section { kNone, kSystem, kData, kRendering } sec = Section::kNone;
  bool any = false;
  size_t unnamed = 0;
  Tag tag;
  std::string text;
  while (i < n) {
    size_t lt = s.find('<', i);
    if (lt == npos) break;
    i = lt;
    if (StartsWith(s, i, "<!--")) {
      size_t e = s.find("-->", i + 4);
      if (e == npos) break;
      i = e + 3;
      continue;
    }
    if (StartsWith(s, i, "<?") || StartsWith(s, i, "<!")) {
      size_t e = s.find('>', i + 2);
      if (e == npos) break;
      i = e + 1;
      continue;
    }
    if (StartsWith(s, i, "</")) {
      size_t e = s.find('>', i + 2);
      std::string_view local = LocalName(Trim(s.substr(i + 2, (e == npos ? n : e) - i - 2)));
      if (e == npos || local == "Event") break;
      i = e + 1;
      if (local == "System" || local == "EventData" || local == "UserData" || local == "RenderingInfo") {
        sec = Section::kNone;
      }
      continue;
    }
    size_t after = ReadStartTag(s, i, &tag);
    if (after == npos) break;
    i = after;
    const std::string_view local = LocalName(tag.name);
    if (local == "System") {
      sec = Section::kSystem;
      any = true;
      continue;
    }
    if (local == "EventData" || local == "UserData") {
      sec = Section::kData;
      any = true;
      continue;
    }
    if (local == "RenderingInfo") {
      sec = Section::kRendering;
      continue;
    }
    if (local == "Event") continue;
    // Leaf text of this element (empty when self-closing).
    text.clear();
    if (!tag.self_closing) i = ReadText(s, i, &text);
    switch (sec) {
      case Section::kSystem: {
        std::string* leaf = nullptr;
        if (local == "Provider") {
          out->provider = tag.Attr("Name");
        } else if (local == "TimeCreated") {
          out->system_time = tag.Attr("SystemTime");
        } else if (local == "Execution") {
          out->process_id = tag.Attr("ProcessID");
          out->thread_id = tag.Attr("ThreadID");
        } else if (local == "Security") {
          out->user_sid = tag.Attr("UserID");
        } else if (local == "EventID") {
          leaf = &out->event_id;
        } else if (local == "Channel") {
          leaf = &out->channel;
        } else if (local == "Computer") {
          leaf = &out->computer;
        } else if (local == "Level") {
          leaf = &out->level;
        } else if (local == "Task") {
          leaf = &out->task;
        } else if (local == "Opcode") {
          leaf = &out->opcode;
        } else if (local == "Keywords") {
          leaf = &out->keywords;
        } else if (local == "EventRecordID") {
          leaf = &out->record_id;
        } else if (local == "Version") {
          leaf = &out->version;
        }
        if (leaf) leaf->assign(Trim(text));
        break;
      }
      case Section::kData:
        if (local == "Data") {
          std::string name = tag.Attr("Name");
          if (name.empty()) name = "param" + std::to_string(++unnamed);
          AddData(out, std::move(name), text);
        } else if (!tag.self_closing && IsEndTagOf(s, i, local)) {
          AddData(out, std::string(local), text);  // a UserData leaf, or <Binary>
        }
        break;
      case Section::kRendering:
        if (local == "Message") out->rendered_message.assign(Trim(text));
        break;
      case Section::kNone:
        break;
    }
  }
  return any && (!out->event_id.empty() || !out->data.empty());
}

// ---------------------------------------------------------------- JSON

std::string_view JsonChannel(const Event& ev) {
  for (std::string_view k : {"winlog.channel", "win.system.channel", "Channel", "Event.System.Channel"}) {
    if (const std::string* v = ev.Get(k)) return *v;
  }
  return {};
}

std::string_view JsonProvider(const Event& ev) {
  for (std::string_view k : {"winlog.provider_name", "win.system.providerName", "SourceName", "ProviderName",
                             "Event.System.Provider.#attributes.Name"}) {
    if (const std::string* v = ev.Get(k)) return *v;
  }
  return {};
}

std::string WazuhUnescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == '\\' || v[i + 1] == '"')) ++i;
    out.push_back(v[i]);
  }
  return out;
}

bool FromJsonEvent(const Event& ev, Record* out) {
  *out = Record();
  auto get = [&](std::string_view k) { return std::string(FieldOr(ev, k)); };
  auto copy_prefixed = [&](std::string_view prefix, bool wazuh = false) {
    for (const auto& [k, v] : ev.fields) {
      if (k.size() > prefix.size() && std::string_view(k).substr(0, prefix.size()) == prefix) {
        AddData(out, k.substr(prefix.size()), wazuh ? WazuhUnescape(v) : v);
      }
    }
  };
  if (Field(ev, "winlog.channel") || Field(ev, "winlog.event_id") || Field(ev, "winlog.provider_name")) {
    out->form = Form::kWinlogbeat;
    out->provider = get("winlog.provider_name");
    out->event_id = get("winlog.event_id");
    if (out->event_id.empty()) out->event_id = get("event.code");
    out->channel = get("winlog.channel");
    out->computer = get("winlog.computer_name");
    out->system_time = get("winlog.time_created");
    out->process_id = get("winlog.process.pid");
    out->thread_id = get("winlog.process.thread.id");
    out->record_id = get("winlog.record_id");
    out->level = get("log.level");
    out->keywords = get("winlog.keywords");
    out->user_sid = get("winlog.user.identifier");
    out->task = get("winlog.task");
    out->opcode = get("winlog.opcode");
    out->version = get("winlog.version");
    out->rendered_message = get("message");
    copy_prefixed("winlog.event_data.");
    copy_prefixed("winlog.user_data.");
  } else if (HasPrefixField(ev, "win.system.")) {
    out->form = Form::kWazuh;
    out->provider = get("win.system.providerName");
    out->event_id = get("win.system.eventID");
    out->channel = get("win.system.channel");
    out->computer = get("win.system.computer");
    out->system_time = get("win.system.systemTime");
    out->process_id = get("win.system.processID");
    out->thread_id = get("win.system.threadID");
    out->record_id = get("win.system.eventRecordID");
    out->level = get("win.system.level");
    out->keywords = get("win.system.keywords");
    out->user_sid = get("win.system.securityUserID");
    out->task = get("win.system.task");
    out->opcode = get("win.system.opcode");
    out->version = get("win.system.version");
    out->rendered_message = get("win.system.message");  // escaped as JSON only
    copy_prefixed("win.eventdata.", true);  // the agent escapes '\' and '"' in these once more
  } else if (Field(ev, "Event.System.EventID") || Field(ev, "Event.System.EventID.#text")) {
    out->form = Form::kEvtxJson;
    out->provider = get("Event.System.Provider.#attributes.Name");
    out->event_id = get("Event.System.EventID");
    if (out->event_id.empty()) out->event_id = get("Event.System.EventID.#text");
    out->channel = get("Event.System.Channel");
    out->computer = get("Event.System.Computer");
    out->system_time = get("Event.System.TimeCreated.#attributes.SystemTime");
    out->process_id = get("Event.System.Execution.#attributes.ProcessID");
    out->thread_id = get("Event.System.Execution.#attributes.ThreadID");
    out->record_id = get("Event.System.EventRecordID");
    out->level = get("Event.System.Level");
    out->keywords = get("Event.System.Keywords");
    out->user_sid = get("Event.System.Security.#attributes.UserID");
    out->task = get("Event.System.Task");
    out->opcode = get("Event.System.Opcode");
    out->version = get("Event.System.Version");
    // EventData values by name; UserData's are one element deeper (UserData.<Element>.<Name>).
    for (const auto& [k, v] : ev.fields) {
      std::string_view name(k);
      if (name.substr(0, 16) == "Event.EventData.") {
        name.remove_prefix(16);
      } else if (name.substr(0, 15) == "Event.UserData.") {
        name.remove_prefix(15);
        const size_t dot = name.find('.');
        if (dot == std::string_view::npos) continue;
        name.remove_prefix(dot + 1);
      } else {
        continue;
      }
      if (name.empty() || name.find('#') != std::string_view::npos) continue;
      AddData(out, std::string(name), v);
    }
  } else if (Field(ev, "EventID") && (Field(ev, "Channel") || Field(ev, "SourceName"))) {
    out->form = Form::kNxlog;
    out->provider = get("SourceName");
    out->event_id = get("EventID");
    out->channel = get("Channel");
    out->computer = get("host.name");
    if (out->computer.empty()) out->computer = get("Hostname");
    out->system_time = get("TimeCreated");
    out->process_id = get("ExecutionProcessID");
    out->thread_id = get("ExecutionThreadID");
    out->record_id = get("RecordNumber");
    out->level = get("Level");
    out->keywords = get("Keywords");
    out->user_sid = get("UserID");
    out->task = get("Task");
    out->opcode = get("OpcodeValue");
    out->version = get("Version");
    out->rendered_message = get("message");
    // EventData fields are top-level: keep every field, lookups are by EventData name.
    for (const auto& [k, v] : ev.fields) AddData(out, k, v);
  } else {
    return false;
  }
  // Event ids arrive as JSON numbers ("4624") or strings; keep digits only.
  if (out->event_id.empty() || !IsSmallNumber(out->event_id)) return false;
  return !out->channel.empty() || !out->provider.empty();
}

bool ReadRecord(const Event& ev, Record* out) {
  const std::string* msg = ev.Get(field::kMessage);
  if (msg && LooksLikeEventXml(*msg)) return ScanEventXml(*msg, out);
  return FromJsonEvent(ev, out);
}

// ---------------------------------------------------------------- helpers

Family FamilyOf(std::string_view provider, std::string_view channel) {
  auto is = [](std::string_view a, std::string_view b) { return EqualsIgnoreCase(a, b); };
  if (is(channel, "Microsoft-Windows-Sysmon/Operational") || is(channel, "Linux-Sysmon/Operational") ||
      is(provider, "Microsoft-Windows-Sysmon") || is(provider, "Linux-Sysmon")) {
    return Family::kSysmon;
  }
  if (is(channel, "Security") || is(provider, "Microsoft-Windows-Security-Auditing")) return Family::kSecurity;
  if (is(channel, "Microsoft-Windows-PowerShell/Operational") || is(channel, "Windows PowerShell") ||
      is(channel, "PowerShellCore/Operational") || is(provider, "Microsoft-Windows-PowerShell") ||
      is(provider, "PowerShellCore")) {
    return Family::kPowerShell;
  }
  if (is(channel, "Microsoft-Windows-Windows Defender/Operational") ||
      is(provider, "Microsoft-Windows-Windows Defender")) {
    return Family::kDefender;
  }
  return Family::kOther;
}

std::string_view BaseName(std::string_view path) {
  size_t k = path.find_last_of("\\/");
  return k == npos ? path : path.substr(k + 1);
}

void SplitDomainUser(std::string_view v, std::string_view* domain, std::string_view* user) {
  size_t k = v.find('\\');
  if (k == npos) {
    *domain = {};
    *user = v;
    return;
  }
  *domain = v.substr(0, k);
  std::string_view rest = v.substr(k + 1);
  while (!rest.empty() && rest.front() == '\\') rest.remove_prefix(1);  // Wazuh doubles '\'
  *user = rest;
}

bool IsSmallNumber(std::string_view v) {
  if (v.empty() || v.size() > 10) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

std::string DecimalOf(std::string_view v) {
  if (IsSmallNumber(v)) return std::string(v);
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') && v.size() <= 18) {
    uint64_t x = 0;
    auto [p, ec] = std::from_chars(v.data() + 2, v.data() + v.size(), x, 16);
    if (ec == std::errc() && p == v.data() + v.size()) return std::to_string(x);
  }
  return {};
}

bool IsIp(std::string_view v) {
  if (v.empty() || v.size() > 45) return false;
  char buf[48];
  v.copy(buf, v.size());
  buf[v.size()] = '\0';
  unsigned char addr[16];
  return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

void SetIf(Event* ev, std::string_view name, std::string_view value) {
  if (value.empty() || value == "-") return;
  ev->Set(name, value);
}

namespace {
// Issue 22: a flat (NXLog) event keeps only normalised fields. Its EventData went to
// winlog.event_data.* above; the System fields NXLog renders get their Winlogbeat names; the
// shipper's own keys (EventReceivedTime, SourceModuleType, @version, ...) are dropped: they are in
// event.original. `AccountName: SYSTEM` (the account that logged a Sysmon event) no longer sits
// beside the user who ran the process.
void MoveFlatShipperKeys(Event* ev) {
  static constexpr std::pair<std::string_view, std::string_view> kRenamed[] = {
      {"AccountName", "winlog.user.name"}, {"Domain", "winlog.user.domain"}, {"AccountType", "winlog.user.type"},
      {"Category", "winlog.task"},         {"Opcode", "winlog.opcode"}};
  for (const auto& [from, to] : kRenamed) {
    const std::string* v = ev->Get(from);
    if (v && !v->empty() && !ev->Get(to)) ev->Set(to, std::string(*v));
  }
  std::erase_if(ev->fields, [](const auto& f) {
    return f.first.find('.') == std::string::npos && f.first != "message" && f.first != field::kTags;
  });
}
}  // namespace

void EmitCommon(const Record& r, std::string_view time_text, Event* ev) {
  if (r.event_id.empty()) ev->Set(field::kErrorMessage, "Windows event without EventID");
  SetIf(ev, "event.code", r.event_id);
  SetIf(ev, "event.provider", r.provider);
  SetIf(ev, "winlog.channel", r.channel);
  SetIf(ev, "winlog.record_id", r.record_id);
  SetIf(ev, "winlog.computer_name", r.computer);
  SetIf(ev, field::kHostName, r.computer);
  if (IsSmallNumber(r.process_id)) ev->Set("winlog.process.pid", r.process_id);
  SetIf(ev, "winlog.user.identifier", r.user_sid);
  if (r.level.size() == 1 && r.level[0] >= '0' && r.level[0] <= '5') {
    static constexpr std::string_view kLevels[] = {"information", "critical", "error",
                                                   "warning",     "information", "verbose"};
    ev->Set("log.level", kLevels[r.level[0] - '0']);
  }
  if (r.form != Form::kWinlogbeat) {
    std::string name = "winlog.event_data.";
    const size_t base = name.size();
    for (const auto& [k, v] : r.data) {
      if (v.empty() || k.empty()) continue;
      if (r.form == Form::kNxlog && IsNxlogMetadata(k)) continue;
      name.resize(base);
      for (char c : k) {
        if (c != ' ') name.push_back(c);  // "Threat Name" -> ThreatName, as Sigma names it
      }
      if (name.size() == base) continue;
      if (r.form == Form::kWazuh && name[base] >= 'a' && name[base] <= 'z') name[base] = static_cast<char>(name[base] - 32);
      ev->Set(name, v);
    }
  }
  if (r.form == Form::kNxlog) MoveFlatShipperKeys(ev);
  std::optional<int64_t> t;
  if (!time_text.empty()) t = ParseRfc3339(time_text);
  if (!t && !r.system_time.empty()) t = ParseRfc3339(r.system_time);
  if (t) ev->timestamp_ns = *t;
}

}  // namespace kamatama::winevent
