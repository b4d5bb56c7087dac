#!/usr/bin/env bash
# Installs what the test suite needs and the machine lacks: Node.js with npm, Chromium, redis-server
# and nginx (Debian packages), the end-to-end clients pinned in e2e/package-lock.json, and Home
# Assistant 2024.3.3 for the realha tier (scripts/install-ha.sh). Safe to run again: it only acts on
# what is missing or out of date.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm

# Debian's Chromium for the browser tests: playwright-core drives /usr/bin/chromium and never
# downloads a browser of its own (this machine's network would refuse it).
[ -x /usr/bin/chromium ] || apt_install chromium

# Debian's redis-server for the multi-instance tests (they start their own on free ports), and
# nginx for the test of the reverse-proxy sample in deploy/nginx.
command -v redis-server >/dev/null || apt_install redis-server
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || apt_install nginx-light

# npm ci when node_modules is missing or older than the lockfile.
if [ ! -f e2e/node_modules/.package-lock.json ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
	npm ci --prefix e2e --no-audit --no-fund --loglevel=error
fi

# The real Home Assistant of the realha tier (Python 3.11 venv cached outside the repository).
scripts/install-ha.sh >/dev/null
