#!/usr/bin/env bash
# Installs what cs-worker needs on Debian and is missing: PostgreSQL (server + client),
# libpq and libcurl headers, pkg-config, and the Python SMTP server the tests talk to.
# With --tests, also what only the tests use: Postfix and Cyrus SASL's tools (a real mail
# server for the email integration test, run as a private instance: /etc/postfix is left
# unconfigured), openssl (its test CA) and PgBouncer (a real pooler in front of the test
# server, run as a private process), and headless Chromium with its driver (pages and
# reports are tested in a real browser; Selenium from PyPI drives it, no browser download).
# Safe to run again: it installs only what is absent. Needs root (or sudo) for apt-get.
set -euo pipefail

need=()
dpkg -s libpq-dev >/dev/null 2>&1 || need+=(libpq-dev)
dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || need+=(libcurl4-openssl-dev)
dpkg -s pkg-config >/dev/null 2>&1 || need+=(pkg-config)
command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || command -v pgbench >/dev/null 2>&1 || need+=(postgresql-contrib)
if [ "${1:-}" = --tests ]; then
    [ -x /usr/sbin/postfix ] || need+=(postfix)
    [ -x /usr/sbin/saslpasswd2 ] || need+=(sasl2-bin)
    dpkg -s libsasl2-modules >/dev/null 2>&1 || need+=(libsasl2-modules)
    command -v openssl >/dev/null 2>&1 || need+=(openssl)
    [ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
    [ -x /usr/bin/chromium ] || need+=(chromium)
    [ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
    [ -x /usr/bin/promtool ] || need+=(prometheus)
    command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
    command -v curl >/dev/null 2>&1 || need+=(curl)
    [ -x /usr/bin/wrk ] || need+=(wrk)
    [ -x /usr/bin/gpg ] || need+=(gnupg)
fi

if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "installing: ${need[*]}" >&2
    $SUDO apt-get update -qq
    # Postfix unconfigured and not started: the tests run their own instance.
    echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections 2>/dev/null || true
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# The loopback SMTP server used by tests and the demo (aiosmtpd), in a private venv.
HERE="$(cd "$(dirname "$0")/.." && pwd)"
if [ "${CS_SKIP_PYTHON:-0}" != 1 ] && ! "$HERE/.venv/bin/python" -c 'import aiosmtpd' >/dev/null 2>&1; then
    if ! python3 -m venv "$HERE/.venv" >/dev/null 2>&1; then
        SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
        python3 -m venv "$HERE/.venv"
    fi
    "$HERE/.venv/bin/pip" install -q aiosmtpd >/dev/null
fi
if [ "${1:-}" = --tests ] && [ "${CS_SKIP_PYTHON:-0}" != 1 ] && ! "$HERE/.venv/bin/python" -c 'import selenium' >/dev/null 2>&1; then
    "$HERE/.venv/bin/pip" install -q selenium >/dev/null
fi
