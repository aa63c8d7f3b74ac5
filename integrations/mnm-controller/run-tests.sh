#!/usr/bin/env bash
# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
#
# Runs the tests of the MNM controller upsert route (mnm_endpoint_upsert) with
# Debian's Python, from any directory. Extra arguments go to pytest, e.g.
#   integrations/mnm-controller/run-tests.sh -k vlan
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python=/usr/bin/python3
packages="python3-fastapi python3-httpx python3-pytest"

if [[ ! -x "$python" ]]; then
	echo "run-tests.sh: $python not found; install Debian's: apt-get install -y $packages" >&2
	exit 1
fi
for module in pytest fastapi httpx; do
	if ! "$python" -c "import $module" 2>/dev/null; then
		echo "run-tests.sh: $python cannot import $module; install: apt-get install -y $packages" >&2
		exit 1
	fi
done

cd "$here"
# No __pycache__ or .pytest_cache left in the work tree (pyproject.toml turns the cache off).
export PYTHONDONTWRITEBYTECODE=1
exec "$python" -m pytest -q "$@"
