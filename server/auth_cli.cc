// server/auth_cli.cc
#include "server/auth_cli.h"

#include <CLI/CLI.hpp>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/json.h"
#include "core/safe_file.h"
#include "core/time.h"
#include "server/auth.h"
#include "server/config.h"

namespace kamatama::server {

namespace {
struct Opts {
  std::string config, data_dir;
  std::string name, role = "viewer", out, host = "localhost", expires;
  std::vector<std::string> scopes;
  bool password_stdin = false;
};
Opts& O() {
  static Opts o;
  return o;
}

void AddStoreFlags(CLI::App* c) {
  c->add_option("--config", O().config, "YAML configuration file (for data_dir)");
  c->add_option("--data-dir", O().data_dir, "data directory (default ./data)");
}

// The password: KAMATAMA_PASSWORD, --password-stdin (one line), or typed twice at a terminal.
bool ReadPassword(std::string* pw) {
  if (const char* env = std::getenv("KAMATAMA_PASSWORD"); env && *env) {
    *pw = env;
    return true;
  }
  if (O().password_stdin || !::isatty(0)) {
    if (!std::getline(std::cin, *pw)) return false;
    if (!pw->empty() && pw->back() == '\r') pw->pop_back();
    return true;
  }
  auto ask = [](const char* prompt, std::string* out) {
    fmt::print(stderr, "{}", prompt);
    termios old{};
    ::tcgetattr(0, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSANOW, &quiet);
    bool ok = static_cast<bool>(std::getline(std::cin, *out));
    ::tcsetattr(0, TCSANOW, &old);
    fmt::print(stderr, "\n");
    return ok;
  };
  std::string again;
  if (!ask("password: ", pw) || !ask("again: ", &again)) return false;
  if (*pw != again) {
    fmt::print(stderr, "kamatama: the passwords differ\n");
    return false;
  }
  return true;
}

int OpenStore(std::unique_ptr<AuthStore>* out) {
  Config cfg;
  if (!O().config.empty()) {
    if (Status s = LoadConfigFile(O().config, &cfg); !s.ok()) {
      fmt::print(stderr, "kamatama: {}\n", s.ToString());
      return 2;
    }
  }
  if (!O().data_dir.empty()) cfg.storage.dir = O().data_dir;
  // Run as root (sudo) on the service's data directory: become its owner before touching
  // anything in it (issue 19), so a link planted there cannot aim our writes at root's files.
  if (Status s = DropToOwnerOf(cfg.storage.dir); !s.ok()) {
    fmt::print(stderr, "kamatama: {}\n", s.ToString());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(cfg.storage.dir, ec);
  *out = std::make_unique<AuthStore>(cfg.storage.dir + "/auth.db");
  if (Status s = (*out)->Load(); !s.ok()) {
    fmt::print(stderr, "kamatama: {}\n", s.ToString());
    return 1;
  }
  return 0;
}

int Report(const Status& s, const std::string& ok) {
  if (!s.ok()) {
    fmt::print(stderr, "kamatama: {}\n", s.ToString());
    return 1;
  }
  if (!ok.empty()) fmt::print("{}\n", ok);
  return 0;
}

// Who ran the command: the account, and the one behind sudo.
std::string OsUser() {
  std::string name;
  if (passwd* pw = ::getpwuid(::getuid())) name = pw->pw_name;
  else name = "uid " + std::to_string(::getuid());
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo && name != sudo) name += fmt::format(" (sudo by {})", sudo);
  return name;
}

// Appends the change to <data_dir>/audit.pending for the server's kamatama.audit (auth_cli.h).
// A change that is made but cannot be recorded is reported, not undone.
void RecordChange(const AuthStore& st, std::string_view action, const Status& s,
                  std::vector<std::pair<std::string, std::string>> fields) {
  std::string path = std::filesystem::path(st.path()).parent_path().string();
  path = (path.empty() ? std::string(".") : path) + "/" + kHostAuditFile;
  fields.emplace_back("kamatama.os_user", OsUser());
  if (!s.ok()) fields.emplace_back("error.message", s.message());
  std::string line = fmt::format("{{\"time_ns\":{},\"event.action\":", NowNanos());
  AppendJsonString(&line, action);
  line += ",\"event.outcome\":";
  AppendJsonString(&line, s.ok() ? "success" : "failure");
  for (const auto& [k, v] : fields) {
    line += ",";
    AppendJsonString(&line, k);
    line += ":";
    AppendJsonString(&line, v);
  }
  line += "}\n";
  // Through the directory, never a link, and only a regular file of ours (issue 19). A command
  // run as root has already become the directory's owner (OpenStore), so nothing needs a chown.
  UniqueFd d, f;
  Status opened = OpenDir(std::filesystem::path(path).parent_path().string(), &d);
  if (opened.ok()) opened = OpenInDir(d.get(), kHostAuditFile, O_WRONLY | O_APPEND | O_CREAT, 0600, &f);
  if (!opened.ok()) fmt::print(stderr, "kamatama: {}\n", opened.ToString());
  bool ok = opened.ok() && ::flock(f.get(), LOCK_EX) == 0 &&
            ::write(f.get(), line.data(), line.size()) == static_cast<ssize_t>(line.size());
  if (!ok) fmt::print(stderr, "kamatama: warning: cannot record the change in {} for the audit log\n", path);
}

template <class T>
using Ptr = std::unique_ptr<T, void (*)(T*)>;
}  // namespace

void AddSecurityCommands(CLI::App* app) {
  auto* user = app->add_subcommand("user", "manage local users (admin, analyst, viewer)");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "add a user; the password comes from KAMATAMA_PASSWORD, stdin or a prompt");
  add->add_option("name", O().name, "user name")->required();
  add->add_option("--role", O().role, "admin, analyst or viewer (default viewer)");
  add->add_flag("--password-stdin", O().password_stdin, "read the password from the first line of stdin");
  AddStoreFlags(add);
  auto* pw = user->add_subcommand("passwd", "set a user's password (ends the user's sessions within a second)");
  pw->add_option("name", O().name, "user name")->required();
  pw->add_flag("--password-stdin", O().password_stdin, "read the password from the first line of stdin");
  AddStoreFlags(pw);
  auto* del = user->add_subcommand("del", "delete a user");
  del->add_option("name", O().name, "user name")->required();
  AddStoreFlags(del);
  auto* ulist = user->add_subcommand("list", "list users");
  AddStoreFlags(ulist);

  auto* token = app->add_subcommand("token", "manage API tokens (Authorization: Bearer)");
  token->require_subcommand(1);
  auto* create = token->add_subcommand("create", "create a token and print it (once)");
  create->add_option("name", O().name, "a name for the token (what uses it)")->required();
  create->add_option("--scope", O().scopes, "ingest, search or admin (repeatable)")->required();
  create->add_option("--expires", O().expires, "lifetime like 90d or 12h (default: never)");
  AddStoreFlags(create);
  auto* revoke = token->add_subcommand("revoke", "revoke a token by id");
  revoke->add_option("id", O().name, "token id (16 hex digits, from `kamatama token list`)")->required();
  AddStoreFlags(revoke);
  auto* tlist = token->add_subcommand("list", "list tokens (never their secrets)");
  AddStoreFlags(tlist);

  auto* cert = app->add_subcommand("cert", "TLS certificates for a first set-up");
  cert->require_subcommand(1);
  auto* ss = cert->add_subcommand("self-signed", "write key.pem and cert.pem (self-signed, EC P-256) into --out");
  ss->add_option("--out", O().out, "directory for key.pem and cert.pem")->required();
  ss->add_option("--host", O().host, "DNS name in the certificate (default localhost)");
}

int RunSecurityCommand(const CLI::App& app) {
  const CLI::App* user = app.get_subcommand("user");
  const CLI::App* token = app.get_subcommand("token");
  const CLI::App* cert = app.get_subcommand("cert");
  if (cert->parsed()) {
    std::string err = WriteSelfSignedCert(O().out, O().host);
    if (!err.empty()) {
      fmt::print(stderr, "kamatama: {}\n", err);
      return 1;
    }
    fmt::print("wrote {0}/key.pem and {0}/cert.pem for {1}\n"
               "use them with\n  tls:\n    cert: {0}/cert.pem\n    key: {0}/key.pem\n  http:\n    tls: true\n",
               O().out, O().host);
    return 0;
  }
  if (!user->parsed() && !token->parsed()) return -1;
  std::unique_ptr<AuthStore> st;
  if (int rc = OpenStore(&st); rc) return rc;
  if (user->parsed()) {
    if (user->get_subcommand("list")->parsed()) {
      for (const auto& u : st->Users()) fmt::print("{}\t{}\t{}\n", u.name, RoleName(u.role), FormatRfc3339(u.created_ns));
      return 0;
    }
    if (user->get_subcommand("del")->parsed()) {
      Status s = st->DeleteUser(O().name);
      RecordChange(*st, "user.delete", s, {{"kamatama.target", O().name}});
      return Report(s, "deleted user " + O().name);
    }
    Role role;
    if (!ParseRole(O().role, &role)) {
      fmt::print(stderr, "kamatama: --role must be admin, analyst or viewer\n");
      return 2;
    }
    std::string pw;
    if (!ReadPassword(&pw)) {
      fmt::print(stderr, "kamatama: no password given\n");
      return 2;
    }
    if (user->get_subcommand("add")->parsed()) {
      Status s = st->AddUser(O().name, role, pw);
      RecordChange(*st, "user.create", s, {{"kamatama.target", O().name}, {"kamatama.role", RoleName(role)}});
      return Report(s, fmt::format("added user {} ({})", O().name, O().role));
    }
    Status s = st->SetPassword(O().name, pw);
    RecordChange(*st, "user.update", s, {{"kamatama.target", O().name}, {"kamatama.password_changed", "true"}});
    return Report(s, "changed the password of " + O().name);
  }
  if (token->get_subcommand("list")->parsed()) {
    for (const auto& t : st->Tokens()) {
      std::string scopes;
      for (const auto& s : t.scopes) scopes += (scopes.empty() ? "" : ",") + s;
      fmt::print("{}\t{}\t{}\texpires {}\tby {}\n", t.id, t.name, scopes,
                 t.expires_ns ? FormatRfc3339(t.expires_ns) : "never", t.created_by);
    }
    return 0;
  }
  if (token->get_subcommand("revoke")->parsed()) {
    Status s = st->RevokeToken(O().name);
    RecordChange(*st, "token.revoke", s, {{"kamatama.target", O().name}});
    return Report(s, "revoked token " + O().name);
  }
  int64_t expires = 0;
  if (!O().expires.empty()) {
    auto d = ParseDuration(O().expires);
    if (!d || *d <= 0) {
      fmt::print(stderr, "kamatama: --expires must be a duration like 90d\n");
      return 2;
    }
    expires = NowNanos() + *d;
  }
  std::string secret;
  TokenRecord rec;
  Status s = st->CreateToken(O().name, O().scopes, expires, "cli", &secret, &rec);
  std::string scope_list;
  for (const auto& sc : O().scopes) scope_list += (scope_list.empty() ? "" : ",") + sc;
  std::vector<std::pair<std::string, std::string>> fields = {{"kamatama.target", s.ok() ? rec.id : O().name},
                                                             {"kamatama.token.name", O().name},
                                                             {"kamatama.scopes", scope_list}};
  if (expires) fields.emplace_back("kamatama.token.expires", FormatRfc3339(expires));
  RecordChange(*st, "token.create", s, std::move(fields));
  if (!s.ok()) return Report(s, "");
  fmt::print(stderr, "token {} ({}) created; it is shown only now:\n", rec.id, rec.name);
  fmt::print("{}\n", secret);
  return 0;
}

std::string WriteSelfSignedCert(const std::string& dir, const std::string& host, int days) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  if (!key) return "cannot generate an EC key";
  Ptr<X509> x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  std::string serial = RandomHex(16);
  BIGNUM* bn = nullptr;
  BN_hex2bn(&bn, serial.c_str());
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("kamatama"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  std::string san = "DNS:" + host;
  if (host != "localhost") san += ",DNS:localhost";
  san += ",IP:127.0.0.1,IP:::1";
  for (auto [nid, value] : {std::pair<int, std::string>{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                            {NID_key_usage, "critical,digitalSignature,keyCertSign"},
                            {NID_ext_key_usage, "serverAuth"},
                            {NID_subject_alt_name, san},
                            {NID_subject_key_identifier, "hash"}}) {
    X509_EXTENSION* e = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!e) return "cannot build the certificate extension " + value;
    X509_add_ext(x.get(), e, -1);
    X509_EXTENSION_free(e);
  }
  if (!X509_sign(x.get(), key.get(), EVP_sha256())) return "cannot sign the certificate";
  std::string key_path = dir + "/key.pem", cert_path = dir + "/cert.pem";
  mode_t old = ::umask(077);
  FILE* kf = std::fopen(key_path.c_str(), "w");
  ::umask(old);
  if (!kf) return "cannot write " + key_path;
  ::fchmod(fileno(kf), 0600);
  bool ok = PEM_write_PrivateKey(kf, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = std::fclose(kf) == 0 && ok;
  if (!ok) return "cannot write " + key_path;
  FILE* cf = std::fopen(cert_path.c_str(), "w");
  if (!cf) return "cannot write " + cert_path;
  ok = PEM_write_X509(cf, x.get()) == 1;
  ok = std::fclose(cf) == 0 && ok;
  if (!ok) return "cannot write " + cert_path;
  return "";
}

}  // namespace kamatama::server
