#!/usr/bin/env bash
# Release and package test (`make package-test`, part of `make ci`;
# docs/release.md):
#  1. reproducibility: `make dist`'s command runs twice, from two copies of
#     the source at different paths into different directories; every
#     artifact must be the same bytes (and SHA256SUMS the same);
#  2. the artifacts: static binaries stamped with version and commit,
#     archives with one mtime and root owners, packages with the files,
#     owners, modes and conffile they promise;
#  3. the .deb installed for real with dpkg -i (as root): files, owners and
#     modes, the system user, enabled but not started, `ipamd version` from
#     PATH, systemd-analyze verify on the installed unit, the service user
#     can run the daemon on its state directory, a re-install keeps an
#     edited conffile; dpkg -r keeps configuration and state, dpkg -P
#     leaves nothing behind.
# Part 3 needs root and dpkg: without them it is skipped, unless
# IPAMD_REQUIRE_INTEROP=1 (CI), which makes it a failure.
set -euo pipefail

# has is grep -q that reads all of its input: under pipefail, grep -q
# leaves at the first match and the writer may die of SIGPIPE, failing the
# pipeline although the line was there (it failed "deb lacks its postrm").
has() { grep "$@" > /dev/null; }

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$PWD
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }
note() { echo "package-test: $*"; }

version=v0.0.0-packagetest
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo 0123456789ab)
date=$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)
platforms=linux/amd64,windows/amd64
work=$(mktemp -d /tmp/ipamd-package-test.XXXXXX)
cleanup() {
	if [ "${installed:-0}" = 1 ]; then dpkg -P ipamd > /dev/null 2>&1 || true; fi
	if [ -n "${IPAMD_KEEP_PACKAGE_TEST:-}" ]; then echo "package-test: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

dist() { # dist SRC OUT
	(cd "$1" && go run ./internal/release/dist -out "$2" -version "$version" -commit "$commit" -date "$date" \
		-platforms "$platforms" -packagers deb,rpm)
}

# 1. Two builds from two source trees (the files git tracks, or the whole
# tree without build output when there is no git).
start=$(date +%s)
# Both copies are taken before either build, so an edit meanwhile cannot differ.
for side in a b; do
	mkdir -p "$work/src-$side"
	if git ls-files -z > /dev/null 2>&1; then
		git ls-files -z --cached --others --exclude-standard | (cd "$root" && xargs -0 cp --parents -t "$work/src-$side")
	else
		tar -C "$root" --exclude=./bin --exclude=./dist --exclude=./.git -cf - . | tar -C "$work/src-$side" -xf -
	fi
done
for side in a b; do
	dist "$work/src-$side" "$work/out-$side" > "$work/dist-$side.log" 2>&1 || { cat "$work/dist-$side.log"; fail "dist ($side)"; }
done
note "two dist builds in $(( $(date +%s) - start ))s"
a=$work/out-a b=$work/out-b
artifacts=$(cd "$a" && find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort)
[ "$artifacts" = "$(cd "$b" && find . -maxdepth 1 -type f -printf '%P\n' | LC_ALL=C sort)" ] || fail "the two builds wrote different files"
differ=
for f in $artifacts; do
	cmp -s "$a/$f" "$b/$f" || differ="$differ $f"
done
[ -z "$differ" ] || fail "differ between two builds of the same commit (not reproducible):$differ"
note "reproducible: $(echo $artifacts | wc -w) artifacts identical"
echo "$artifacts" | sed 's/^/  /'

# 2. The artifacts.
want_names="SHA256SUMS
ipamd_${version}_linux_amd64.deb
ipamd_${version}_linux_amd64.rpm
ipamd_${version}_linux_amd64.tar.gz
ipamd_${version}_windows_amd64.zip"
[ "$artifacts" = "$want_names" ] || fail "artifacts: got
$artifacts
want
$want_names"
(cd "$a" && sha256sum --quiet -c SHA256SUMS) || fail "SHA256SUMS does not match"
[ "$(wc -l < "$a/SHA256SUMS")" = 4 ] || fail "SHA256SUMS must name the 4 other artifacts"

bin=$a/build/linux_amd64/ipamd
if grep -qa 'ld-linux' "$bin" || grep -qa 'libc.so' "$bin"; then fail "linux binary is dynamically linked"; fi
"$bin" version | has -x "ipamd $version" || fail "version not stamped: $("$bin" version)"
"$bin" version | has -x "commit: $commit" || fail "commit not stamped: $("$bin" version)"
go version -m "$bin" | has -- '-trimpath=true' || fail "binary not built with -trimpath"
go version -m "$bin" | has 'CGO_ENABLED=0' || fail "binary built with cgo"
if go version -m "$bin" | has 'vcs\.'; then fail "binary carries a VCS stamp (not reproducible from a tarball)"; fi
[ -z "$(go tool buildid "$bin" 2>/dev/null)" ] || fail "binary has a build id: $(go tool buildid "$bin")"

tarball=$a/ipamd_${version}_linux_amd64.tar.gz
listing=$(tar -tvzf "$tarball" --numeric-owner --full-time)
echo "$listing" | awk '$2 != "0/0" { bad = 1 } END { exit bad }' || fail "tarball entries not owned by 0/0"
want_time=$(date -u -d "@$date" '+%Y-%m-%d %H:%M:%S')
(TZ=UTC tar -tvzf "$tarball" --numeric-owner --full-time | awk -v t="$want_time" '($4 " " $5) != t { print; bad = 1 } END { exit bad }') || fail "tarball mtimes are not the commit time $want_time"
top=ipamd_${version}_linux_amd64
for f in ipamd README.md ipamd.example.yaml ipamd.service man/man1/ipamd.1 man/man1/ipamd-serve.1 \
	completions/ipamd.bash completions/_ipamd completions/ipamd.fish; do
	echo "$listing" | has " $top/$f\$" || fail "tarball lacks $top/$f"
done
echo "$listing" | has -- "-rwxr-xr-x 0/0 .* $top/ipamd\$" || fail "tarball: ipamd is not 0755"
python3 - "$a/ipamd_${version}_windows_amd64.zip" "$date" <<'PY' || fail "windows zip"
import sys, zipfile, datetime
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
top = names[0].split("/")[0]
for want in ("ipamd.exe", "README.md", "ipamd.example.yaml", "completions/ipamd.ps1"):
    assert f"{top}/{want}" in names, f"zip lacks {want}: {names}"
t = datetime.datetime.fromtimestamp(int(sys.argv[2]), datetime.timezone.utc)
for i in z.infolist():
    assert i.date_time[:5] == (t.year, t.month, t.day, t.hour, t.minute), f"{i.filename}: time {i.date_time}"
exe = z.read(f"{top}/ipamd.exe")
assert exe[:2] == b"MZ", "ipamd.exe is not a PE file"
print("package-test: zip ok:", len(names), "entries")
PY
deb=$a/ipamd_${version}_linux_amd64.deb
if command -v dpkg-deb > /dev/null; then
	debinfo=$(dpkg-deb --info "$deb")
	echo "$debinfo" | has "Package: ipamd" || fail "deb: no Package: ipamd"
	for s in preinst postinst prerm postrm conffiles; do
		echo "$debinfo" | has -w "$s" || fail "deb lacks its $s"
	done
	dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles | has -x /etc/ipamd/ipamd.yaml || fail "deb: /etc/ipamd/ipamd.yaml is not a conffile"
fi
if command -v rpm > /dev/null; then
	rpm -qp --qf '%{NAME} %{VERSION}\n' "$a/ipamd_${version}_linux_amd64.rpm"
	rpm -qpc "$a/ipamd_${version}_linux_amd64.rpm" | has -x /etc/ipamd/ipamd.yaml || fail "rpm: /etc/ipamd/ipamd.yaml is not %config"
	rpm -qp --qf '[%{FILEMODES:perms} %{FILEUSERNAME} %{FILEGROUPNAME} %{FILENAMES}\n]' "$a/ipamd_${version}_linux_amd64.rpm" > "$work/rpm.list"
	for line in "-rwxr-xr-x root root /usr/bin/ipamd" "-rw-r----- root ipamd /etc/ipamd/ipamd.yaml" \
		"drwx------ ipamd ipamd /var/lib/ipamd" "-rw-r--r-- root root /usr/lib/systemd/system/ipamd.service"; do
		grep -qxF -- "$line" "$work/rpm.list" || fail "rpm: no '$line' in
$(cat "$work/rpm.list")"
	done
	rpm -qp --scripts "$a/ipamd_${version}_linux_amd64.rpm" | has 'useradd --system' || fail "rpm: no %pre creating the user"
else
	note "rpm not installed: the .rpm's file list is not checked"
fi
note "artifacts ok"

# 3. dpkg -i for real.
if [ "$(id -u)" != 0 ] || ! command -v dpkg > /dev/null; then
	[ "${IPAMD_REQUIRE_INTEROP:-}" != 1 ] || fail "installing the .deb needs root and dpkg (IPAMD_REQUIRE_INTEROP=1)"
	note "SKIP dpkg -i: needs root and dpkg"
	exit 0
fi
if dpkg -s ipamd > /dev/null 2>&1; then fail "an ipamd package is already installed on this machine; not touching it"; fi
for p in /etc/ipamd /usr/bin/ipamd /var/lib/private/ipamd; do
	[ ! -e "$p" ] || fail "$p exists before the install; not touching this machine"
done
# ipamd run as root without --state-dir creates an empty /var/lib/ipamd (its
# default state_dir): the package takes such a directory over; one with
# state in it is not ours to purge.
if [ -e /var/lib/ipamd ] && [ -n "$(ls -A /var/lib/ipamd)" ]; then
	fail "/var/lib/ipamd holds state before the install; not touching this machine"
fi
! getent passwd ipamd > /dev/null || fail "a user ipamd exists before the install; not touching this machine"

installed=1
dpkg -i "$deb"
[ "$(command -v ipamd)" = /usr/bin/ipamd ] || fail "ipamd on PATH is $(command -v ipamd), want /usr/bin/ipamd"
ipamd version | has -x "ipamd $version" || fail "ipamd version from PATH: $(ipamd version)"

check() { # check PATH MODE OWNER:GROUP (stat's %A %U:%G)
	local got
	got=$(stat -c '%A %U:%G' "$1") || fail "$1 missing after install"
	[ "$got" = "$2 $3" ] || fail "$1: $got, want $2 $3"
}
check /usr/bin/ipamd -rwxr-xr-x root:root
check /etc/ipamd drwxr-xr-x root:root
check /etc/ipamd/ipamd.yaml -rw-r----- root:ipamd
check /usr/lib/systemd/system/ipamd.service -rw-r--r-- root:root
check /var/lib/ipamd drwx------ ipamd:ipamd
check /usr/share/man/man1/ipamd.1.gz -rw-r--r-- root:root
check /usr/share/man/man1/ipamd-serve.1.gz -rw-r--r-- root:root
check /usr/share/bash-completion/completions/ipamd -rw-r--r-- root:root
check /usr/share/zsh/vendor-completions/_ipamd -rw-r--r-- root:root
check /usr/share/fish/vendor_completions.d/ipamd.fish -rw-r--r-- root:root
cmp -s /etc/ipamd/ipamd.yaml deploy/ipamd.example.yaml || fail "/etc/ipamd/ipamd.yaml is not the example configuration"
dpkg-query -W -f='${Conffiles}\n' ipamd | has '/etc/ipamd/ipamd.yaml' || fail "dpkg does not track /etc/ipamd/ipamd.yaml as a conffile"

IFS=: read -r _ _ uid gid _ home shell < <(getent passwd ipamd) || fail "no user ipamd"
[ "$uid" -lt 1000 ] || fail "ipamd is not a system user (uid $uid)"
[ "$home" = /var/lib/ipamd ] || fail "ipamd's home is $home"
case $shell in */nologin | /bin/false) ;; *) fail "ipamd's shell is $shell" ;; esac
[ "$(getent group ipamd | cut -d: -f3)" = "$gid" ] || fail "ipamd's primary group is not ipamd"

# Enabled, not started.
[ -L /etc/systemd/system/multi-user.target.wants/ipamd.service ] || fail "ipamd.service is not enabled"
for exe in /proc/[0-9]*/exe; do
	[ "$(readlink "$exe" 2>/dev/null)" != /usr/bin/ipamd ] || fail "ipamd was started by the install (pid ${exe//[^0-9]/})"
done
grep -qx 'ExecStart=/usr/bin/ipamd serve --config /etc/ipamd/ipamd.yaml' /usr/lib/systemd/system/ipamd.service || fail "unit ExecStart"
grep -qx 'User=ipamd' /usr/lib/systemd/system/ipamd.service || fail "unit does not run as User=ipamd"
systemd-analyze verify /usr/lib/systemd/system/ipamd.service || fail "systemd-analyze verify on the installed unit"
note "systemd-analyze verify: ok"

# The service user reads its configuration and runs on its state directory.
runuser -u ipamd -- ipamd config validate --config /etc/ipamd/ipamd.yaml > /dev/null || fail "user ipamd cannot validate /etc/ipamd/ipamd.yaml"
log=$work/serve.log
# setpriv execs ipamd itself (runuser would stay its parent and report the
# SIGTERM as its own failure); a clean environment as systemd gives it.
setpriv --reuid ipamd --regid ipamd --init-groups -- env -i PATH=/usr/bin:/bin STATE_DIRECTORY=/var/lib/ipamd \
	ipamd serve --config /etc/ipamd/ipamd.yaml --listen net.tcp://127.0.0.1:0 --admin-listen '' > "$log" 2>&1 &
serve=$!
for _ in $(seq 100); do grep -q '"msg":"ready"' "$log" && break; sleep 0.1; done
kill -TERM "$serve" 2> /dev/null || true
wait "$serve" || fail "ipamd serve as user ipamd did not stop cleanly: $(cat "$log")"
grep -q '"msg":"ready"' "$log" || fail "ipamd serve as user ipamd never got ready: $(cat "$log")"
note "ipamd serve as user ipamd on /var/lib/ipamd: ready, drained"

# A re-install (the upgrade path) keeps an edited conffile and the state.
echo "# edited by the operator" >> /etc/ipamd/ipamd.yaml
touch /var/lib/ipamd/marker
dpkg -i "$deb"
tail -1 /etc/ipamd/ipamd.yaml | has 'edited by the operator' || fail "re-install replaced the edited conffile"
[ -e /var/lib/ipamd/marker ] || fail "re-install lost the state"
[ -L /etc/systemd/system/multi-user.target.wants/ipamd.service ] || fail "re-install lost the enablement"

files=$(dpkg -L ipamd | grep -v -x -e /. -e /usr -e /usr/bin -e /usr/lib -e /usr/share -e /usr/share/man -e /usr/share/man/man1 \
	-e /usr/share/doc -e /etc -e /var -e /var/lib -e /usr/lib/systemd -e /usr/lib/systemd/system \
	-e /usr/share/bash-completion -e /usr/share/bash-completion/completions -e /usr/share/zsh -e /usr/share/zsh/vendor-completions \
	-e /usr/share/fish -e /usr/share/fish/vendor_completions.d)

# dpkg -r: program gone, configuration and state kept.
dpkg -r ipamd
[ ! -e /usr/bin/ipamd ] || fail "dpkg -r left /usr/bin/ipamd"
[ -e /etc/ipamd/ipamd.yaml ] || fail "dpkg -r removed the configuration"
getent passwd ipamd > /dev/null || fail "dpkg -r removed the user (purge does)"

# dpkg -P: nothing left.
dpkg -P ipamd
installed=0
! dpkg -s ipamd > /dev/null 2>&1 || fail "ipamd still known to dpkg after purge"
for f in $files /etc/ipamd /var/lib/ipamd /var/lib/private/ipamd /etc/systemd/system/multi-user.target.wants/ipamd.service \
	/etc/systemd/system/ipamd.service /var/lib/systemd/deb-systemd-helper-enabled/ipamd.service.dsh-also \
	/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/ipamd.service \
	/var/lib/systemd/deb-systemd-helper-masked/ipamd.service; do
	[ ! -e "$f" ] && [ ! -L "$f" ] || fail "dpkg -P left $f"
done
! getent passwd ipamd > /dev/null || fail "dpkg -P left the user ipamd"
! getent group ipamd > /dev/null || fail "dpkg -P left the group ipamd"
note "dpkg -i / -r / -P: ok ($(echo $files | wc -w) files checked gone)"
