#!/usr/bin/env bash
# packaging: deb — builds the Debian package from this build directory (cpack -G DEB) and
# checks it: control fields and dependencies, maintainer scripts and conffiles, every path, mode
# and owner it installs (nothing else), `lintian` (no error; only the warnings docs/operations.md
# accepts), `systemd-analyze verify` of the unit as installed, and that its aegisd runs and
# refuses the shipped config. Usage: deb_package.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: deb_package.sh BUILD_DIR}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/aegis-deb-XXXXXX")
cleanup() { local rc=$?; [ "$rc" -eq 0 ] && rm -rf "$work" || echo "FAILED: kept $work" >&2; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$version" ] || fail "no CPACK_PACKAGE_VERSION in $build/CPackConfig.cmake"
cpack -G DEB -B "$work/out" --config "$build/CPackConfig.cmake" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$work/out/aegis_${version}-1_$(dpkg --print-architecture).deb
[ -f "$deb" ] || { ls "$work/out" >&2; fail "no $deb"; }

# --- control ------------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = aegis ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version-1" ] || fail "Version: $(field Version)"
depends=$(field Depends)
depend_names=$(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//')
for dep in libc6 libstdc++6 libsodium23 libsqlite3-0 libzmq5 libxml2 libsystemd0 systemd procps; do
  grep -qxF "$dep" <<<"$depend_names" || fail "Depends lacks $dep: $depends"
done
dpkg-deb -e "$deb" "$work/control"
for script in postinst prerm postrm; do
  [ "$(stat -c %a "$work/control/$script")" = 755 ] || fail "$script is not 0755"
  sh -n "$work/control/$script" || fail "$script: shell syntax"
done
grep -q '^ *systemd-sysusers aegis.conf' "$work/control/postinst" || fail "postinst creates no user"
if grep -Eq 'systemctl.*[[:space:]](enable|start|--now)([[:space:]]|$)|deb-systemd-helper (enable|update-state)' \
     "$work/control/postinst"; then
  fail "postinst enables or starts a unit: nothing may run before it is configured"
fi
printf '/etc/aegis/authority.toml\n/etc/aegis/index.toml\n' >"$work/want-conffiles"
diff -u "$work/want-conffiles" "$work/control/conffiles" || fail "conffiles differ"

# --- contents: exactly these files, modes and owners (directories only as their parents) ---
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $1, $2, $6 }' | sort >"$work/files"
sort >"$work/want-files" <<'LIST'
-rw-r--r-- root/root ./etc/aegis/authority.toml
-rw-r--r-- root/root ./etc/aegis/index.toml
-rw-r--r-- root/root ./lib/systemd/system/aegis@.service
-rw-r--r-- root/root ./usr/lib/sysusers.d/aegis.conf
-rw-r--r-- root/root ./usr/lib/tmpfiles.d/aegis.conf
-rw-r--r-- root/root ./usr/share/doc/aegis/changelog.Debian.gz
-rw-r--r-- root/root ./usr/share/doc/aegis/copyright
-rw-r--r-- root/root ./usr/share/man/man1/aegis.1.gz
-rw-r--r-- root/root ./usr/share/man/man5/aegis.toml.5.gz
-rw-r--r-- root/root ./usr/share/man/man8/aegisd.8.gz
-rwxr-xr-x root/root ./usr/bin/aegis
-rwxr-xr-x root/root ./usr/sbin/aegisd
LIST
diff -u "$work/want-files" "$work/files" || fail "the package's files differ from the list"
if dpkg-deb -c "$deb" | awk '$1 ~ /^d/ && ($1 != "drwxr-xr-x" || $2 != "root/root")' | grep .; then
  fail "a directory is not 0755 root/root"
fi

# --- lintian: no error; warnings only those accepted (docs/operations.md, "lintian") ---------
# initial-upload-closes-no-bugs: aegis is not uploaded to Debian, so there is no ITP bug to close.
accepted='^W: aegis: (initial-upload-closes-no-bugs)( |$)'
lintian --fail-on none --tag-display-limit 0 --display-level '>=warning' "$deb" \
  >"$work/lintian" 2>"$work/lintian.err" || { cat "$work/lintian.err" >&2; fail "lintian did not run"; }
if grep -E '^E: ' "$work/lintian"; then fail "lintian reports errors"; fi
if grep -E '^W: ' "$work/lintian" | grep -Ev "$accepted"; then fail "lintian warnings not accepted"; fi
if grep -Ev '^[EW]: ' "$work/lintian"; then fail "unexpected lintian output"; fi

# --- installed tree: the unit verifies, the binaries run, the shipped config is refused -----
root=$work/root
dpkg-deb -x "$deb" "$root"
# systemd-analyze verify needs the targets the unit names and the programs it runs.
cp -a /lib/systemd/system/*.target "$root/lib/systemd/system/"
mkdir -p "$root/bin" && cp /bin/kill "$root/bin/kill"
systemd-analyze verify --man=no --root="$root" aegis@authority.service aegis@index.service ||
  fail "systemd-analyze verify"
[ "$("$root/usr/sbin/aegisd" --version)" = "aegisd $version" ] || fail "the packaged aegisd does not run"
"$root/usr/bin/aegis" --help >/dev/null || fail "the packaged aegis does not run"
rc=0
"$root/usr/sbin/aegisd" --check-config --config "$root/etc/aegis/authority.toml" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "the packaged aegisd accepted the unfilled authority.toml (exit $rc)"
echo "deb: ok ($(basename "$deb"), $(stat -c %s "$deb") bytes)"
