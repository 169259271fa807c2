#!/usr/bin/env bash
# Installs, with apt, only the Debian 12 packages kamatama needs that are missing.
# Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail

PKGS=(
  # toolchain
  g++ cmake make ninja-build ccache pkg-config
  # libraries
  librocksdb-dev libboost-dev libboost-system-dev libsimdjson-dev libre2-dev
  libfmt-dev libgtest-dev libgmock-dev libyaml-cpp-dev libcli11-dev libssl-dev
  libzstd-dev libbenchmark-dev zlib1g-dev libsnappy-dev
  # e-mail notifications over SMTP (server/notify_mail.cc, issue 21)
  libcurl4-openssl-dev
  # the server's allocator (tcmalloc: RocksDB's block buffers, see CMakeLists.txt)
  libgoogle-perftools-dev
  # systemd notification (Type=notify), archive import (kamatama import: .tar.gz, .zst) and
  # Windows .evtx import (libevtx)
  libsystemd-dev libarchive-dev libevtx-dev
  # fuzzing (libFuzzer ships with clang's runtime)
  clang libclang-rt-14-dev
  # real peers used by the tests (rsyslog-elasticsearch: omelasticsearch, a real _bulk client;
  # rsyslog-relp: omrelp, the RELP sender of tests/relp_integration_test.cc)
  rsyslog rsyslog-openssl rsyslog-elasticsearch rsyslog-relp bsdutils curl python3 procps openssl
  # the local ClickHouse cluster of the ClickHouse backend's tests (tests/clickhouse/cluster.sh:
  # 2 shards x 2 replicas and ZooKeeper on loopback; Debian's 18.16, for tests only, never to deploy)
  clickhouse-server zookeeper
  # the SMTP server the notification test sends to (tests/notify_smtp.py)
  python3-aiosmtpd
  # reliability test: RFC 3164 years around New Year (tests/reliability_integration_test.cc)
  faketime
  # peers of the benchmark (bench/run.sh)
  ripgrep zstd sqlite3
  # headless browser for the web UI end-to-end test (tests/ui)
  chromium
)
# Node.js and npm run the UI test (playwright-core); a node/npm already on PATH is kept.
if ! command -v node >/dev/null 2>&1; then PKGS+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then PKGS+=(npm); fi

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PKGS[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"

# rsyslog is a test peer, not a system service we want running on 514 here.
if [[ " ${missing[*]} " == *" rsyslog "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now rsyslog >/dev/null 2>&1 || true
fi
# clickhouse-server too: the tests start their own servers (tests/clickhouse/cluster.sh).
if [[ " ${missing[*]} " == *" clickhouse-server "* ]] && command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now clickhouse-server >/dev/null 2>&1 || true
fi
echo "install-deps: done"
