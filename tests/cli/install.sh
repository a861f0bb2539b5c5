#!/usr/bin/env bash
# tests/cli/install.sh - what `make install` ships, checked from the
# source: the manual page offsetgw(1) renders without warnings and has
# an entry for every command and subcommand the binary lists in its
# help; offsetgw.service carries its sandbox and passes systemd-analyze
# verify (when the machine has it); the sysusers.d/tmpfiles.d pair makes
# the user and its 0700 home the unit writes to.
set -u
OG=${OG:-./offsetgw}
src=${OG_SRCDIR:-.}
dir=$(mktemp -d /tmp/og-install-XXXXXX)
trap 'rm -rf "$dir"' EXIT
. "$src/tests/e2e/lib.sh"

man_page=$src/docs/offsetgw.1
unit_in=$src/systemd/offsetgw.service.in

# --- the manual -------------------------------------------------------------
check "the man page renders without warnings" sh -c "groff -mandoc -ww -z \
    '$man_page' 2>'$dir/groff.err' && test ! -s '$dir/groff.err'"
if command -v man >/dev/null; then
    check "  man -l shows it" sh -c "MANWIDTH=80 man -l '$man_page' \
        2>/dev/null | grep -q 'offsetgw backup --home'"
fi
# the commands of a help text: the first word of each line between
# "commands:" and the blank line after it
commands_of() {
    sed -n '/^commands:/,/^$/{/^  [a-z]/s/^  \([a-z-]*\).*/\1/p}'
}
# every command, and every subcommand of a command group, as "cmd sub"
$OG --help | commands_of >"$dir/top"
check "the help lists commands" test "$(wc -l <"$dir/top")" -ge 15
: >"$dir/all"
while read -r cmd; do
    echo "$cmd" >>"$dir/all"
    [ "$cmd" = help ] && continue # its help is the top one
    $OG "$cmd" --help 2>/dev/null | commands_of | while read -r sub; do
        echo "$cmd $sub" >>"$dir/all"
        $OG "$cmd" "$sub" --help 2>/dev/null | commands_of |
            sed "s/^/$cmd $sub /" >>"$dir/all"
    done
done <"$dir/top"
check "  and subcommands (partner key add among them)" grep -qx \
    'partner key add' "$dir/all"
# the man page's entries: ".It Cm a | a b | c d ..." lines, "|" apart
sed -n 's/^\.It Cm //p' "$man_page" | sed 's/ Fl .*//; s/ Ar .*//; s/ Op .*//' |
    tr '|' '\n' | sed 's/^ *//; s/ *$//' >"$dir/documented"
undocumented() { # DOCUMENTED: the commands with no entry in it
    grep -vxF -f "$1" "$dir/all" | while read -r c; do
        # a group is documented by its subcommands' entries
        grep -q "^$c " "$1" || echo "$c"
    done
}
undocumented "$dir/documented" >"$dir/missing"
check "every command and subcommand has an entry in offsetgw(1)" sh -c \
    "cat '$dir/missing'; test ! -s '$dir/missing'"
grep -vx 'backup' "$dir/documented" >"$dir/less"
undocumented "$dir/less" >"$dir/missing2"
check "  (a page without backup's entry would fail)" grep -qx backup \
    "$dir/missing2"

# --- the unit ----------------------------------------------------------------
sed "s|@bindir@|$(cd "$(dirname "$OG")" && pwd)|" "$unit_in" \
    >"$dir/offsetgw.service"
for directive in 'User=offsetgw' 'NoNewPrivileges=yes' \
    'ProtectSystem=strict' 'ReadWritePaths=/var/lib/offsetgw' \
    'PrivateTmp=yes' 'ProtectHome=yes' 'PrivateDevices=yes' \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
    'SystemCallFilter=@system-service' 'CapabilityBoundingSet=' \
    'MemoryDenyWriteExecute=yes' 'UMask=0077'; do
    check "the unit has $directive" grep -qx "$directive" \
        "$dir/offsetgw.service"
done
check "  one ReadWritePaths, the home's" test "$(grep -c '^ReadWritePaths=' \
    "$dir/offsetgw.service")" -eq 1
check "  it serves the home the tmpfiles line makes" grep -q \
    -- '--home ${OFFSETGW_HOME}' "$dir/offsetgw.service"
if command -v systemd-analyze >/dev/null; then
    check "  systemd-analyze verify finds nothing" sh -c "systemd-analyze \
        verify --man=no '$dir/offsetgw.service' >'$dir/verify' 2>&1; \
        cat '$dir/verify'; test ! -s '$dir/verify'"
    printf '[Service]\nExecStart=/bin/true\nProtectSystem=sideways\n' \
        >"$dir/bad.service"
    check "  and would see a wrong setting" sh -c "systemd-analyze \
        verify --man=no '$dir/bad.service' 2>&1 | grep -q sideways"
fi
check "sysusers.d makes the user with the home" grep -qE \
    '^u offsetgw - ".*" /var/lib/offsetgw' "$src/systemd/offsetgw.sysusers"
check "tmpfiles.d makes the home 0700, the user's" grep -qx \
    'd /var/lib/offsetgw 0700 offsetgw offsetgw -' \
    "$src/systemd/offsetgw.tmpfiles"
summary install
