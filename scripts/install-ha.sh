#!/usr/bin/env bash
# Installs the real Home Assistant of the `realha` test tier: Home Assistant 2024.3.3 (the newest
# release for Python 3.11) and exactly the packages pinned in scripts/homeassistant.lock, in a Python
# 3.11 venv cached outside the repository. Safe to run again: a venv whose stamp matches the lock's
# hash is left as it is, so a warm run costs a hash.
#
#   HASSE_HA_VENV    where the venv lives (default ${XDG_CACHE_HOME:-$HOME/.cache}/hasse/ha-2024.3.3);
#                    the tests read the same variable
#   HASSE_HA_PYTHON  the Python 3.11 to build it with (default: python3.11, else python3 if it is 3.11)
#
# Prints the venv's path on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

lock=scripts/homeassistant.lock
venv=${HASSE_HA_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hasse/ha-2024.3.3}
stamp=$venv/.hasse-lock.sha256
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ -x "$venv/bin/hass" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	echo "$venv"
	exit 0
fi

python=${HASSE_HA_PYTHON:-}
if [ -z "$python" ]; then
	for candidate in python3.11 python3; do
		if command -v "$candidate" >/dev/null &&
			[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = 3.11 ]; then
			python=$candidate
			break
		fi
	done
fi
if [ -z "$python" ]; then
	echo "install-ha.sh: Home Assistant 2024.3.3 needs Python 3.11 (with venv); none found. Set HASSE_HA_PYTHON." >&2
	exit 1
fi

# A venv is not relocatable (its scripts name their interpreter's path), so it is built where it
# will live; the stamp is written last, so an interrupted install is redone on the next run.
echo "install-ha.sh: installing Home Assistant 2024.3.3 into $venv (a few minutes, once)" >&2
started=$(date +%s)
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -r "$lock"
"$venv/bin/python" -m pip check >&2
"$venv/bin/hass" --version >/dev/null
echo "$want" >"$stamp"
echo "install-ha.sh: done in $(($(date +%s) - started)) s" >&2
echo "$venv"
