#!/usr/bin/env bash
# tests/cli/home.sh - "offsetgw init" and "offsetgw partner ..." through
# the real binary: the home they make, the registry rows, exit statuses.
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-cli-XXXXXX)
trap 'rm -rf "$dir"' EXIT
passed=0 failed=0
refused() { ! "$@"; }
check() { # NAME, then a command that must succeed
    local name=$1
    shift
    if "$@" >"$dir/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name"
        sed 's/^/    /' "$dir/out"
    fi
}
status_is() { # WANT, then a command
    local want=$1 rc=0
    shift
    "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq "$want" ]
}

home=$dir/gw
check "init --demo makes a home" $OG init --home "$home" --demo
check "the registry exists" test -f "$home/var/offsetgw.db"
check "demo-agency has an inbox" test -d "$home/var/spool/demo-agency/inbox"
check "demo-payer has an outbox" test -d "$home/var/spool/demo-payer/outbox"
check "init made a private 32-byte master key" \
    bash -c "[ \"\$(stat -c '%a %s' '$home/keys/master.key')\" = '600 32' ]"
sum=$(sha256sum <"$home/keys/master.key")
check "init twice is fine" $OG init --home "$home" --demo
check "and keeps the master key" \
    bash -c "[ \"\$(sha256sum <'$home/keys/master.key')\" = '$sum' ]"
check "four demo partners listed" \
    bash -c "$OG partner list --home '$home' | grep -c '^demo-' | grep -qx 4"
check "add an agency" $OG partner add --home "$home" --kind agency \
    --program kansas --agency-code WICH1 wichita
check "it is listed with its code" \
    bash -c "$OG partner list --home '$home' | grep -q '^wichita .*WICH1 .*enabled'"
check "adding it again is an input error (1)" \
    status_is 1 $OG partner add --home "$home" --kind agency --program kansas wichita
check "a path as a name is a usage error (2)" \
    status_is 2 $OG partner add --home "$home" --kind agency --program kansas ../x
check "no folder escaped the spool" test ! -e "$home/var/x"
check "an unknown program is a usage error (2)" \
    status_is 2 $OG partner add --home "$home" --kind agency --program nowhere b
check "an unknown kind is a usage error (2)" \
    status_is 2 $OG partner add --home "$home" --kind bank --program kansas b
check "disable" $OG partner disable --home "$home" wichita
check "it shows disabled" \
    bash -c "$OG partner list --home '$home' | grep -q '^wichita .*disabled'"
check "enable" $OG partner enable --home "$home" wichita
check "disabling nobody is an input error (1)" \
    status_is 1 $OG partner disable --home "$home" nobody
check "a folder that is no home is an error (2)" \
    status_is 2 $OG partner list --home "$dir/nothing"
check "synth refuses a date that is no date (2)" \
    status_is 2 $OG synth --program caltrecs --records 1 --date 2026-02-30
check "synth takes a real date" \
    status_is 0 $OG synth --program caltrecs --records 1 --date 2028-02-29
check "OFFSETGW_HOME stands for --home" \
    env OFFSETGW_HOME="$home" $OG partner list

# the console's admins
check "an admin, its password on stdin" sh -c "echo 'a long enough secret' | \
    $OG admin add --home '$home' alice"
check "a short password is an input error (1)" \
    status_is 1 sh -c "echo short | $OG admin add --home '$home' bob"
check "the same name twice is an input error (1)" \
    status_is 1 sh -c "echo 'another long secret' | $OG admin add \
    --home '$home' alice"
check "admin list" sh -c "$OG admin list --home '$home' | grep -q '^alice '"
check "the password is not in the registry" refused grep -q \
    'a long enough secret' "$home/var/offsetgw.db"
check "passwd" sh -c "echo 'yet another secret' | $OG admin passwd \
    --home '$home' alice"
check "remove" $OG admin remove --home "$home" alice
check "removing it again is an input error (1)" \
    status_is 1 $OG admin remove --home "$home" alice
check "the audit trail has them, and is intact" sh -c "$OG audit list \
    --home '$home' | grep -c ' admin-' | grep -qx 3 && \
    $OG audit verify --home '$home'"

echo "# home.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
