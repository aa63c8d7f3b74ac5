#!/usr/bin/env bash
# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
#
# check-version.sh VERSION CHANGELOG
#
# The version (the VERSION file's) must be MAJOR.MINOR.PATCH with an optional -prerelease, and
# CHANGELOG.md must say what it contains:
#   - a "## <VERSION>" section ("## 0.2.0", "## v0.2.0", "## [0.2.0] - 2026-12-01"), or
#   - between releases, a "## Unreleased" section, unless RELEASE=1 (a release build: its own section);
# and no section may name a version above it (a release was written up but VERSION not bumped).
set -euo pipefail

version="${1:?usage: check-version.sh VERSION CHANGELOG}"
changelog="${2:?usage: check-version.sh VERSION CHANGELOG}"

if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
	echo "check-version: VERSION '$version' is not MAJOR.MINOR.PATCH[-prerelease]" >&2
	exit 1
fi

# The versions of the "## " headings, "Unreleased" as is.
sections="$(sed -n -E 's/^## +\[?v?([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?|Unreleased)\]?([ ].*)?$/\1/p' "$changelog")"

# newer A B: A is above B. sort -V orders like dpkg with "-" as "~": 0.2.0-rc.1 is below 0.2.0.
newer() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "${1//-/\~}" "${2//-/\~}" | sort -V | tail -n 1)" = "${1//-/\~}" ]; }
newer="$({ grep -v '^Unreleased$' <<<"$sections" || true; } | while read -r v; do
	if [ -n "$v" ] && newer "$v" "$version"; then echo "$v"; fi
done)"
if [ -n "$newer" ]; then
	echo "check-version: $changelog has sections for ${newer//$'\n'/ } above VERSION $version: bump VERSION" >&2
	exit 1
fi

if grep -qx -- "$version" <<<"$sections"; then
	echo "check-version: $version, $changelog has its section"
elif [ "${RELEASE:-}" = 1 ]; then
	echo "check-version: RELEASE=1 but $changelog has no '## $version' section (rename '## Unreleased' to it)" >&2
	exit 1
elif grep -qx Unreleased <<<"$sections"; then
	echo "check-version: $version, $changelog has an Unreleased section (a release needs '## $version': RELEASE=1)"
else
	echo "check-version: $changelog has neither a '## $version' nor a '## Unreleased' section" >&2
	exit 1
fi
