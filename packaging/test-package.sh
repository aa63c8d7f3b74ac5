#!/usr/bin/env bash
# Copyright The otelcol-mnm Authors
# SPDX-License-Identifier: Apache-2.0
#
# The package test (make package-test). On a Debian machine, as root: builds the amd64 .deb of VERSION
# and of VERSION+pkgtest, installs the first with dpkg -i and checks files, owners, modes, the user, the
# state directory and the unit (enabled, not started while the settings are empty), runs
# `otelcol-mnm validate` and the Collector itself as the service user with a test settings file, edits
# both conffiles, upgrades to the second and checks that the edits survived, then removes and purges and
# checks that nothing is left.
#
# Without systemd as PID 1 (a CI container) nothing can be started: the unit is then checked with
# systemd-analyze, and postinst's start decision by running it in a private mount namespace that has
# /run/systemd/system, with systemctl and deb-systemd-invoke replaced by loggers.
#
# It installs and purges the package otelcol-mnm on this machine, so it refuses to run where otelcol-mnm
# (package, user or /etc/otelcol-mnm) already exists, and is skipped unless it runs as root on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${VERSION:?set VERSION (make package-test passes the VERSION file)}"
GO="${GO:-go}"
PKG=otelcol-mnm
USER_NAME=otelcol-mnm
ETC=/etc/otelcol-mnm
ENV_FILE=$ETC/otelcol-mnm.conf
CONFIG=$ETC/config.yaml
STATE_DIR=/var/lib/otelcol-mnm
UNIT_FILE=/usr/lib/systemd/system/otelcol-mnm.service
V2="$VERSION+pkgtest"
TWORK="$PWD/_build/package-test"

start=$SECONDS
step() { printf '\n=== %s (%ds)\n' "$*" "$((SECONDS - start))"; }
ok() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*" >&2; exit 1; }
note() { printf 'note %s\n' "$*"; }
# expect_stat PATH OWNER:GROUP MODE
expect_stat() {
	local got
	got="$(stat -c '%U:%G %a' "$1")" || fail "$1 is missing"
	[ "$got" = "$2 $3" ] || fail "$1 is $got, want $2 $3"
	ok "$1 $2 $3"
}
# http_get PORT PATH: the response body, without curl
http_get() {
	local resp
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
	resp="$(cat <&3)"
	exec 3<&-
	[[ "$resp" == "HTTP/1."?" 200"* ]] || return 1
	printf '%s\n' "${resp#*$'\r\n\r\n'}"
}
# free_port: a TCP port nothing listens on at 127.0.0.1
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
}
# as_service_user CMD...: CMD as otelcol-mnm, with the test settings in its environment and the
# restrictions of the unit that setpriv can apply (no new privileges, no capabilities at all).
as_service_user() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${settings[@]}" \
		setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups --no-new-privs \
		--inh-caps=-all --bounding-set=-all -- "$@"
}

# --- preconditions ---------------------------------------------------------------------------------
# make test includes this test, and CI runs it as root; elsewhere it is skipped, saying so.
if [ "$(id -u)" != 0 ] || ! command -v dpkg >/dev/null; then
	echo "package-test: SKIP: it installs the package, so it runs only as root on Debian (CI does)"
	exit 0
fi
for tool in dpkg-deb dpkg-statoverride setpriv runuser getent unshare; do
	command -v "$tool" >/dev/null || fail "package-test needs $tool (a Debian machine)"
done
command -v adduser >/dev/null || fail "the package depends on adduser: apt-get install adduser"
if dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null | grep -qv '^not-installed$'; then
	fail "the package $PKG is installed here; package-test would replace and purge it"
fi
getent passwd "$USER_NAME" >/dev/null && fail "the user $USER_NAME exists here; package-test would delete it"
[ -e "$ETC" ] && fail "$ETC exists here; package-test would overwrite it"
[ -e "$STATE_DIR" ] && fail "$STATE_DIR exists here; package-test would delete it"
systemd_running=false
[ -d /run/systemd/system ] && systemd_running=true

installed=false
collector_pid=""
cleanup() {
	local rc=$?
	if [ -n "$collector_pid" ]; then kill "$collector_pid" 2>/dev/null || true; fi
	if $installed; then
		echo "package-test: purging $PKG"
		dpkg --purge "$PKG" >/dev/null 2>&1 || true
	fi
	if [ "$rc" = 0 ]; then echo "package-test: PASS in $((SECONDS - start))s"; else echo "package-test: FAIL" >&2; fi
	exit "$rc"
}
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------------
step "build the amd64 .deb of $VERSION and of $V2"
rm -rf "$TWORK"
mkdir -p "$TWORK"
t=$SECONDS
VERSION="$VERSION" ARCHS=amd64 OUT="$TWORK/dist" WORK="$TWORK/v1" GO="$GO" packaging/package.sh >"$TWORK/build-v1.log" 2>&1 ||
	{ cat "$TWORK/build-v1.log"; fail "building $VERSION"; }
ok "$VERSION built in $((SECONDS - t))s"
t=$SECONDS
VERSION="$V2" ARCHS=amd64 OUT="$TWORK/dist" WORK="$TWORK/v2" GO="$GO" packaging/package.sh >"$TWORK/build-v2.log" 2>&1 ||
	{ cat "$TWORK/build-v2.log"; fail "building $V2"; }
ok "$V2 built in $((SECONDS - t))s"
deb1="$TWORK/dist/${PKG}_${VERSION}_amd64.deb"
deb2="$TWORK/dist/${PKG}_${V2}_amd64.deb"
ls -l "$deb1" "$deb2" "$TWORK/dist/${PKG}_${VERSION}_linux-amd64.tar.gz"

step "the .deb"
[ "$(dpkg-deb -f "$deb1" Version)" = "$VERSION" ] || fail "$deb1: Version $(dpkg-deb -f "$deb1" Version)"
[ "$(dpkg-deb -f "$deb1" Architecture)" = amd64 ] || fail "$deb1: not amd64"
ok "Version $VERSION, Architecture amd64, Depends $(dpkg-deb -f "$deb1" Depends)"
conffiles="$(dpkg-deb -I "$deb1" conffiles)"
[ "$conffiles" = "$(printf '%s\n%s' "$CONFIG" "$ENV_FILE")" ] || fail "conffiles: $conffiles"
ok "conffiles: $CONFIG $ENV_FILE"
listing="$(dpkg-deb -c "$deb1")"
for f in ./usr/bin/otelcol-mnm ./etc/otelcol-mnm/config.yaml ./etc/otelcol-mnm/otelcol-mnm.conf \
	./usr/lib/systemd/system/otelcol-mnm.service ./usr/share/otelcol-mnm/grafana/dashboards/proxmox-overview.json \
	./usr/share/otelcol-mnm/prometheus/prometheus.yml ./usr/share/otelcol-mnm/prometheus/rules/proxmox.rules.yml \
	./usr/share/otelcol-mnm/otelcol-mnm-otlp.yaml ./usr/share/otelcol-mnm/prometheus/prometheus-otlp.yml; do
	grep -q " $f\$" <<<"$listing" || fail "$deb1 lacks $f"
done
ok "contents"
tarlist="$(tar -tzf "$TWORK/dist/${PKG}_${VERSION}_linux-amd64.tar.gz")"
for f in otelcol-mnm config/otelcol-mnm.yaml config/otelcol-mnm.conf grafana/dashboards/proxmox-overview.json \
	prometheus/prometheus.yml prometheus/rules/proxmox.rules.yml systemd/otelcol-mnm.service \
	config/otelcol-mnm-otlp.yaml prometheus/prometheus-otlp.yml; do
	grep -qx "${PKG}_${VERSION}_linux-amd64/$f" <<<"$tarlist" || fail "the .tar.gz lacks $f"
done
ok ".tar.gz contents"

# --- install ---------------------------------------------------------------------------------------
step "dpkg -i $(basename "$deb1")"
installed=true
out="$(dpkg -i "$deb1" 2>&1)" || { echo "$out"; fail "dpkg -i $deb1"; }
echo "$out"
for name in PROXMOX_ENDPOINT PROXMOX_TOKEN_ID PROXMOX_TOKEN_SECRET MNM_CONTROLLER_ENDPOINT MNM_CONTROLLER_SECRET; do
	grep -q "$name" <<<"$out" || fail "postinst did not name the empty setting $name"
done
grep -q "not started" <<<"$out" || fail "postinst did not say that the service is not started"
ok "postinst names the five empty settings and does not start the service"

step "files, owners, modes"
expect_stat /usr/bin/otelcol-mnm root:root 755
got="$(/usr/bin/otelcol-mnm --version)"
[ "$got" = "otelcol-mnm version $VERSION" ] || fail "otelcol-mnm --version: $got"
ok "otelcol-mnm --version: $got"
expect_stat "$ETC" root:root 755
expect_stat "$CONFIG" root:root 644
cmp -s "$CONFIG" "$TWORK/v1/files/config/otelcol-mnm.yaml" || fail "$CONFIG is not config/otelcol-mnm.yaml"
ok "$CONFIG is config/otelcol-mnm.yaml"
expect_stat "$ENV_FILE" root:"$USER_NAME" 640
[ "$(dpkg-statoverride --list "$ENV_FILE")" = "root $USER_NAME 640 $ENV_FILE" ] || fail "no dpkg-statoverride for $ENV_FILE"
ok "dpkg-statoverride root $USER_NAME 640 $ENV_FILE"
expect_stat "$UNIT_FILE" root:root 644
IFS=: read -r _ _ uid gid _ home shell < <(getent passwd "$USER_NAME")
[ "$uid" -lt 1000 ] || fail "$USER_NAME is not a system user (uid $uid)"
[ "$(getent group "$gid" | cut -d: -f1)" = "$USER_NAME" ] || fail "$USER_NAME's group is not $USER_NAME"
[ "$home" = "$STATE_DIR" ] && [ "$shell" = /usr/sbin/nologin ] || fail "$USER_NAME: home $home, shell $shell"
ok "system user $USER_NAME (uid $uid), group $USER_NAME, home $home, shell $shell"
expect_stat "$STATE_DIR" "$USER_NAME:$USER_NAME" 750
runuser -u "$USER_NAME" -- test -r "$ENV_FILE" || fail "$USER_NAME cannot read $ENV_FILE"
runuser -u nobody -- test -r "$ENV_FILE" && fail "nobody can read $ENV_FILE"
ok "$ENV_FILE: readable by $USER_NAME, not by others"

step "the unit"
[ "$(systemctl is-enabled otelcol-mnm.service 2>&1)" = enabled ] || fail "otelcol-mnm.service is not enabled"
[ -L /etc/systemd/system/multi-user.target.wants/otelcol-mnm.service ] || fail "no multi-user.target.wants link"
ok "otelcol-mnm.service is enabled (multi-user.target.wants)"
if $systemd_running; then
	state="$(systemctl is-active otelcol-mnm.service || true)"
	[ "$state" = inactive ] || fail "otelcol-mnm.service is $state with empty settings"
	ok "otelcol-mnm.service is inactive"
else
	note "systemd is not PID 1 here: nothing can be started; postinst's decision is checked below"
	[ -z "$(find /proc -mindepth 1 -maxdepth 1 -regex '/proc/[0-9]+' -user "$USER_NAME")" ] ||
		fail "a process of $USER_NAME runs"
	ok "no process of $USER_NAME"
fi
if command -v systemd-analyze >/dev/null; then
	vout="$(systemd-analyze verify "$UNIT_FILE" 2>&1)" || { echo "$vout"; fail "systemd-analyze verify"; }
	if grep -q otelcol-mnm <<<"$vout"; then echo "$vout"; fail "systemd-analyze verify warns about the unit"; fi
	ok "systemd-analyze verify $UNIT_FILE"
	exposure="$(systemd-analyze security --offline=yes "$UNIT_FILE" 2>/dev/null | sed -n 's/.*exposure level for otelcol-mnm.service: \([0-9.]*\).*/\1/p')"
	[ -n "$exposure" ] || fail "systemd-analyze security gave no exposure level"
	awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' || fail "systemd-analyze security: exposure $exposure above 2.0"
	ok "systemd-analyze security: exposure $exposure (at most 2.0)"
else
	note "SKIP systemd-analyze verify: not installed (apt-get install systemd)"
fi

# --- postinst's start decision, without a running systemd ----------------------------------------
if ! $systemd_running; then
	step "postinst's start decision (private mount namespace with /run/systemd/system)"
	fake="$TWORK/fakebin"
	mkdir -p "$fake"
	for tool in systemctl deb-systemd-invoke; do
		printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$TWORK/calls.log" >"$fake/$tool"
		chmod +x "$fake/$tool"
	done
	# postinst_calls ARGS...: what postinst ARGS asked systemd to do
	postinst_calls() {
		: >"$TWORK/calls.log"
		unshare --mount --propagation private sh -ec \
			'mount -t tmpfs tmpfs /run; mkdir -p /run/systemd/system; exec "$@"' \
			sh env PATH="$fake:$PATH" "/var/lib/dpkg/info/$PKG.postinst" "$@" >"$TWORK/postinst.out" 2>&1 ||
			{ cat "$TWORK/postinst.out"; return 1; }
		cat "$TWORK/calls.log"
	}
	if unshare --mount true 2>/dev/null; then
		calls="$(postinst_calls configure)"
		grep -q 'daemon-reload' <<<"$calls" || fail "postinst did not reload systemd: $calls"
		grep -Eq 'deb-systemd-invoke (start|restart)' <<<"$calls" && fail "postinst started the service with empty settings: $calls"
		grep -q "not started" "$TWORK/postinst.out" || fail "postinst did not say so"
		ok "empty settings: daemon-reload, no start"
		cp -p "$ENV_FILE" "$TWORK/env.empty"
		printf '%s\n' PROXMOX_ENDPOINT=https://pve.example.com:8006 "PROXMOX_TOKEN_ID='monitor@pve!mnm'" \
			'PROXMOX_TOKEN_SECRET="s e c r e t"' MNM_CONTROLLER_ENDPOINT=https://mnm.example.com \
			MNM_CONTROLLER_SECRET=x >>"$ENV_FILE"
		calls="$(postinst_calls configure)"
		grep -q 'deb-systemd-invoke start otelcol-mnm.service' <<<"$calls" || fail "installation with settings: $calls"
		ok "settings set, installation: start"
		calls="$(postinst_calls configure "$VERSION")"
		grep -q 'deb-systemd-invoke restart otelcol-mnm.service' <<<"$calls" || fail "upgrade with settings: $calls"
		ok "settings set, upgrade: restart"
		cp -p "$TWORK/env.empty" "$ENV_FILE"
	else
		note "SKIP: unshare --mount is not permitted here; only the dpkg -i message was checked"
	fi
fi

# --- validate and run as the service user -----------------------------------------------------------
step "otelcol-mnm validate and a short run as $USER_NAME, with a test settings file"
prom_port="$(free_port)"
health_port="$(free_port)"
cat >>"$ENV_FILE" <<EOF
# package-test settings: nothing answers at these endpoints.
PROXMOX_ENDPOINT=https://127.0.0.1:1
PROXMOX_TOKEN_ID=monitor@pve!mnm
PROXMOX_TOKEN_SECRET=package-test
MNM_CONTROLLER_ENDPOINT=https://127.0.0.1:1
MNM_CONTROLLER_SECRET=package-test
MNM_PROMETHEUS_LISTEN=127.0.0.1:$prom_port
MNM_HEALTH_CHECK_LISTEN=127.0.0.1:$health_port
EOF
# The settings as systemd gives them: the unit's Environment= lines (the Go runtime settings), then the
# settings file through the service user's read access, which overrides them.
mapfile -t settings < <(sed -n 's/^Environment=//p' "$UNIT_FILE"; runuser -u "$USER_NAME" -- cat "$ENV_FILE" | grep -E '^[A-Z_]+=.')
as_service_user /usr/bin/otelcol-mnm validate --config "$CONFIG" || fail "otelcol-mnm validate as $USER_NAME"
ok "otelcol-mnm validate --config $CONFIG as $USER_NAME"
# Without the Collector's own metrics, which would take localhost:8888 on a shared machine.
(cd "$STATE_DIR" && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${settings[@]}" \
	setpriv --reuid="$USER_NAME" --regid="$USER_NAME" --init-groups --no-new-privs --inh-caps=-all \
	--bounding-set=-all -- /usr/bin/otelcol-mnm --config "$CONFIG" --set=service.telemetry.metrics.level=none) \
	>"$TWORK/collector.log" 2>&1 &
collector_pid=$!
healthy=false
for _ in $(seq 1 60); do
	if http_get "$health_port" / >/dev/null 2>&1; then healthy=true; break; fi
	kill -0 "$collector_pid" 2>/dev/null || break
	sleep 0.5
done
$healthy || { cat "$TWORK/collector.log"; fail "the health check at 127.0.0.1:$health_port did not answer"; }
ok "health check 127.0.0.1:$health_port answers"
for var in GOGC GOMEMLIMIT; do
	grep -qx "$var=$(sed -n "s/^Environment=$var=//p" "$UNIT_FILE")" <(tr '\0' '\n' <"/proc/$collector_pid/environ") ||
		fail "the Collector does not run with the unit's $var"
done
ok "the Collector runs with the unit's Go runtime settings: $(sed -n 's/^Environment=//p' "$UNIT_FILE" | tr '\n' ' ')"
up=""
for _ in $(seq 1 40); do
	up="$(http_get "$prom_port" /metrics 2>/dev/null | grep '^mnm_proxmox_up' || true)"
	[ -n "$up" ] && break
	sleep 0.5
done
[ -n "$up" ] || { cat "$TWORK/collector.log"; fail "no mnm_proxmox_up at 127.0.0.1:$prom_port/metrics"; }
ok "metrics at 127.0.0.1:$prom_port: $up"
[ -d "$STATE_DIR/queue" ] || { cat "$TWORK/collector.log"; fail "no queue in $STATE_DIR"; }
[ "$(stat -c %U:%G "$STATE_DIR/queue")" = "$USER_NAME:$USER_NAME" ] || fail "$STATE_DIR/queue is not $USER_NAME's"
ok "$STATE_DIR/queue created by $USER_NAME"
kill "$collector_pid"
wait "$collector_pid" 2>/dev/null || true
collector_pid=""
ok "stopped"

# --- upgrade ---------------------------------------------------------------------------------------
step "edit both conffiles, then upgrade to $V2"
echo "# edited by package-test" >>"$CONFIG"
cp "$CONFIG" "$TWORK/config.edited"
cp "$ENV_FILE" "$TWORK/env.edited"
out="$(dpkg -i "$deb2" 2>&1)" || { echo "$out"; fail "dpkg -i $deb2"; }
echo "$out"
grep -q "not started" <<<"$out" && fail "postinst finds settings missing after the upgrade"
[ "$(dpkg-query -W -f='${Version}' "$PKG")" = "$V2" ] || fail "installed version: $(dpkg-query -W -f='${Version}' "$PKG")"
got="$(/usr/bin/otelcol-mnm --version)"
[ "$got" = "otelcol-mnm version $V2" ] || fail "otelcol-mnm --version after the upgrade: $got"
ok "$PKG $V2, $got"
cmp -s "$CONFIG" "$TWORK/config.edited" || fail "the edited $CONFIG was replaced"
cmp -s "$ENV_FILE" "$TWORK/env.edited" || fail "the edited $ENV_FILE was replaced"
ok "the edited $CONFIG and $ENV_FILE are kept"
expect_stat "$ENV_FILE" root:"$USER_NAME" 640
expect_stat "$STATE_DIR" "$USER_NAME:$USER_NAME" 750
[ -d "$STATE_DIR/queue" ] || fail "the upgrade lost $STATE_DIR/queue"
leftover="$(find "$ETC" -name '*.dpkg-*')"
[ -z "$leftover" ] || fail "left by dpkg: $leftover"
ok "the queue is kept, no .dpkg-new/.dpkg-dist files"
if $systemd_running; then
	state="$(systemctl is-active otelcol-mnm.service || true)"
	[ "$state" = active ] || fail "otelcol-mnm.service is $state after an upgrade with settings"
	ok "otelcol-mnm.service was restarted by the upgrade"
fi

# --- remove and purge ------------------------------------------------------------------------------
step "dpkg -r, then dpkg -P"
dpkg -r "$PKG"
[ "$(dpkg-query -W -f='${db:Status-Status}' "$PKG")" = config-files ] || fail "after dpkg -r: not config-files"
[ ! -e /usr/bin/otelcol-mnm ] && [ ! -e "$UNIT_FILE" ] || fail "dpkg -r left the binary or the unit"
[ -f "$CONFIG" ] && [ -f "$ENV_FILE" ] || fail "dpkg -r removed the settings"
ok "removed: binary and unit gone, $CONFIG and $ENV_FILE kept"
dpkg -P "$PKG"
installed=false
[ "$(dpkg-query -W -f='${db:Status-Status}' "$PKG" 2>/dev/null || echo not-installed)" = not-installed ] ||
	fail "after dpkg -P: $(dpkg-query -W -f='${db:Status-Status}' "$PKG")"
for p in "$ETC" "$STATE_DIR"; do [ ! -e "$p" ] || fail "dpkg -P left $p"; done
getent passwd "$USER_NAME" >/dev/null && fail "dpkg -P left the user $USER_NAME"
getent group "$USER_NAME" >/dev/null && fail "dpkg -P left the group $USER_NAME"
dpkg-statoverride --list "$ENV_FILE" >/dev/null && fail "dpkg -P left the statoverride"
links="$(find /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
	-name '*otelcol-mnm*' 2>/dev/null || true)"
[ -z "$links" ] || fail "dpkg -P left $links"
ok "purged: no $ETC, $STATE_DIR, user, group, statoverride or unit links"
