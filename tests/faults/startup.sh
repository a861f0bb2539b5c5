#!/usr/bin/env bash
# tests/faults/startup.sh - a registry that cannot be used is said so, by
# name, with exit 2: never a silent start on nothing.  One held locked by
# another process's write transaction (serve, ingest), one with bytes
# overwritten in the middle (serve, status, ingest).
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-startup-XXXXXX)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
passed=0 failed=0
check() { # NAME, then a command that must succeed
    local name=$1
    shift
    if "$@" >"$dir/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name"
        sed 's/^/    /' "$dir/out" | head -20
    fi
}
# refused CODE PATTERN CMD...: CMD exits CODE and says PATTERN (ERE)
refused() {
    local code=$1 pattern=$2 rc
    shift 2
    "$@" >"$dir/said" 2>&1
    rc=$?
    [ "$rc" -eq "$code" ] && grep -qE -- "$pattern" "$dir/said" || {
        echo "exit $rc:"
        cat "$dir/said"
        return 1
    }
}

home=$dir/gw
db=$home/var/offsetgw.db
check "a demo home" $OG init --home "$home" --demo
check "an agency file" $OG synth --program caltrecs --records 2000 --seed 3 \
    --agency-code DEMO1 --output "$dir/debts.txt"
check "taken in" $OG ingest --home "$home" --partner demo-agency \
    "$dir/debts.txt"
cp -a "$home" "$dir/copy"

# another process holds the registry's write lock
python3 - "$db" >"$dir/held" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
c.execute("UPDATE partners SET enabled = enabled")
print("held", flush=True)
time.sleep(120)
PY
holder=$!
for _ in $(seq 1 100); do
    grep -q held "$dir/held" && break
    sleep 0.1
done
check "the registry is held locked by another process" grep -q held "$dir/held"
check "serve refuses to start on a locked registry, naming it" \
    refused 2 "$db: .*locked" $OG serve --home "$home" --listen 127.0.0.1:0 \
    --admin-listen off
check "ingest fails on a locked registry, saying so" \
    refused 2 "locked" $OG ingest --home "$home" --partner demo-agency \
    "$dir/debts.txt"
kill "$holder"
wait "$holder" 2>/dev/null
holder=
check "the lock gone, ingest works again (a duplicate, exit 1)" \
    refused 1 "C_DUP_FILE" $OG ingest --home "$home" --partner demo-agency \
    "$dir/debts.txt"

# bytes overwritten in the middle of the registry
rm -rf "$home" && cp -a "$dir/copy" "$home"
size=$(stat -c %s "$db")
check "the registry is large enough to damage its middle" test "$size" -gt 200000
printf 'garbage!%.0s' $(seq 1 512) |
    dd of="$db" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
check "status refuses a damaged registry, naming it" \
    refused 2 "$db: .*(damaged|malformed)" $OG status --home "$home"
check "serve refuses a damaged registry, naming it" \
    refused 2 "$db: .*(damaged|malformed)" $OG serve --home "$home" \
    --listen 127.0.0.1:0 --admin-listen off
check "ingest refuses a damaged registry" \
    refused 2 "(damaged|malformed)" $OG ingest --home "$home" \
    --partner demo-agency "$dir/debts.txt"

echo "# startup: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
