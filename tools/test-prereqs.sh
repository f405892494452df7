#!/usr/bin/env bash
# What `make test` needs besides Python and npm: Debian's Chromium (card rendering,
# tests/test_card_rendering.py) and a PostgreSQL server (the store tests).
#
# Installs them when it can (as root, with apt-get, the way CI runs), otherwise stops at
# once with the one command to run. On success it prints the PostgreSQL URL for the
# tests on stdout (empty when FRONTOFFICE_TEST_PG=skip); everything else goes to stderr.
#
#   FRONTOFFICE_TEST_PG_URL   use this server instead of looking on 127.0.0.1:5432
#   FRONTOFFICE_TEST_PG=skip  run without PostgreSQL (its tests are skipped and counted)
#   CHROMIUM                  another Chromium build instead of /usr/bin/chromium
set -euo pipefail

say() { echo "test-prereqs: $*" >&2; }
stop() { say "$1"; say "run: $2"; exit 1; }

as_root=""
if [ "$(id -u)" -eq 0 ]; then as_root="yes"; fi

apt_install() {
  say "installing Debian packages: $*"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# -- Chromium ---------------------------------------------------------------------
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ -n "$as_root" ] && command -v apt-get >/dev/null && [ -z "${CHROMIUM:-}" ]; then
    apt_install chromium
  else
    stop "Chromium is missing at $chromium (the Adaptive Card rendering tests draw the cards in it)" \
         "sudo apt-get install chromium    (or set CHROMIUM to another Chromium binary)"
  fi
fi

# -- PostgreSQL -------------------------------------------------------------------
if [ "${FRONTOFFICE_TEST_PG:-}" = "skip" ]; then
  say "FRONTOFFICE_TEST_PG=skip: the PostgreSQL tests will be skipped"
  exit 0
fi

default_url="postgresql://postgres@127.0.0.1:5432/postgres"
url="${FRONTOFFICE_TEST_PG_URL:-$default_url}"

answers() {  # does a PostgreSQL server answer at this URL?
  if command -v psql >/dev/null; then
    psql "$1" -Atc 'select 1' >/dev/null 2>&1
  else
    "${PYTHON:-.venv/bin/python}" - "$1" <<'PY' >/dev/null 2>&1
import sys, psycopg
psycopg.connect(sys.argv[1], connect_timeout=3).close()
PY
  fi
}

if ! answers "$url"; then
  if [ -n "${FRONTOFFICE_TEST_PG_URL:-}" ]; then
    stop "no PostgreSQL answers at FRONTOFFICE_TEST_PG_URL=$url" \
         "unset FRONTOFFICE_TEST_PG_URL, or start that server"
  fi
  if [ -z "$as_root" ] || ! command -v apt-get >/dev/null; then
    stop "no PostgreSQL answers on 127.0.0.1:5432 (the store tests run on SQLite and PostgreSQL)" \
         "sudo apt-get install postgresql && sudo pg_ctlcluster \$(ls /etc/postgresql) main start    (or: FRONTOFFICE_TEST_PG=skip make test)"
  fi
  command -v pg_ctlcluster >/dev/null || apt_install postgresql postgresql-client
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf="/etc/postgresql/$version/main"
  # trust local TCP connections for the throw-away test cluster
  if ! grep -q "frontoffice-test" "$conf/pg_hba.conf"; then
    {
      printf '# frontoffice-test\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n'
      cat "$conf/pg_hba.conf"
    } > "$conf/pg_hba.conf.new"
    mv "$conf/pg_hba.conf.new" "$conf/pg_hba.conf"
    chown postgres:postgres "$conf/pg_hba.conf" 2>/dev/null || true
  fi
  say "starting PostgreSQL $version"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || \
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload >&2 || true
  for _ in $(seq 1 30); do answers "$url" && break; sleep 1; done
  answers "$url" || stop "PostgreSQL $version was started but does not answer at $url" \
                         "pg_lsclusters    (and look at /var/log/postgresql/)"
fi

say "PostgreSQL tests against $url"
echo "$url"
