#!/usr/bin/env bash
# tests/faults/walk.sh - every call on the ingest, cycle and outbox paths
# made to fail in turn (a build with --enable-failpoints; skipped in
# others).  For each step of the offset loop (an agency's file in, the
# cycle to the tax board, the tax board's answers in) it counts the
# calls of each kind (failpoint.h) on a clean run, then runs the step
# again from the same registry once per call, that call failing, and
# checks: a failure is reported (exit 2 and a message), the registry is
# as before the step or as after the clean run (row counts and money
# sums of every table), no file is in any outbox that the registry has
# not delivered, and a rerun without the fault ends as the clean run.
# FAULTS_STRIDE=K tries every Kth call only (a quick look; CI walks all).
set -u
OG=${OG:-./offsetgw}
data=${OG_TEST_DATA:-tests/data}
stride=${FAULTS_STRIDE:-1}
dir=$(mktemp -d /tmp/og-faults-XXXXXX)
trap 'rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
passed=0 failed=0 injected=0
ok() { passed=$((passed + 1)); }
bad() { # MESSAGE
    failed=$((failed + 1))
    echo "FAIL: $1"
}

home=$dir/gw
db=$home/var/offsetgw.db

# what a test compares of the registry: each table's rows and the sums
# of its money columns (times and random names differ run to run); the
# query is made once from the schema, by dump_query
dump_query() {
    local t c q
    for t in $(sqlite3 -readonly "$db" \
        "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"); do
        q="SELECT '$t', count(*)"
        for c in $(sqlite3 -readonly "$db" \
            "SELECT name FROM pragma_table_info('$t') WHERE name LIKE '%cents%'"); do
            q="$q, coalesce(sum($c), 0)"
        done
        echo "$q FROM $t;"
    done >"$dir/dump.sql"
}
dump() {
    sqlite3 -readonly "$db" <"$dir/dump.sql"
}

# files a partner can see in an outbox: every one an output of committed
# work (delivered, or renamed before the mark), none half-written
outbox_clean() {
    find "$home/var/spool" -path '*/outbox/*' -type f ! -path '*/.tmp/*' |
        sort >"$dir/seen"
    sqlite3 -readonly "$db" "SELECT final_path FROM outputs" | sort >"$dir/reg"
    [ -z "$(comm -23 "$dir/seen" "$dir/reg")" ]
}
outbox_count() {
    find "$home/var/spool" -path '*/outbox/*' -type f ! -path '*/.tmp/*' |
        wc -l
}

# the build has fail points when a run leaves its counts
OFFSETGW_FAIL_COUNTS=$dir/probe $OG init --home "$home" --demo \
    --plain-spool >/dev/null 2>&1 || {
    echo "FAIL: a demo home"
    exit 1
}
if [ ! -s "$dir/probe" ]; then
    echo "# faults: skipped (no fail points in this build)"
    exit 77
fi
$OG synth --program caltrecs --records 12 --bad-share 0.2 --seed 7 \
    --agency-code DEMO1 --output "$dir/debts.txt" >/dev/null

# walk NAME CMD...: the step CMD run from the registry in $dir/base
walk() {
    local name=$1 kind n count rc clean_rc
    shift
    rm -rf "$home" && cp -a "$dir/base" "$home"
    dump_query
    dump >"$dir/before"
    OFFSETGW_FAIL_COUNTS=$dir/counts "$@" >/dev/null 2>&1
    clean_rc=$?
    dump >"$dir/after"
    local clean_outputs
    clean_outputs=$(outbox_count)
    if [ "$clean_rc" -ge 2 ] || cmp -s "$dir/before" "$dir/after"; then
        bad "$name: the clean run (exit $clean_rc) changes the registry"
        return
    fi
    for kind in alloc write fsync rename step commit; do
        count=$(awk -v k="$kind" '$1 == k {print $2}' "$dir/counts")
        echo "# $name: $kind calls: $count"
        for ((n = 1; n <= count; n += stride)); do
            injected=$((injected + 1))
            rm -rf "$home" && cp -a "$dir/base" "$home"
            OFFSETGW_FAIL=$kind:$n "$@" >/dev/null 2>"$dir/err"
            rc=$?
            dump >"$dir/now"
            local what="$name, $kind $n of $count"
            if [ "$rc" -ge 2 ] && [ ! -s "$dir/err" ]; then
                bad "$what: exit $rc without a message"
            elif [ "$rc" -lt 2 ] && [ "$rc" -ne "$clean_rc" ]; then
                bad "$what: exit $rc, the clean run's was $clean_rc"
            elif [ "$rc" -lt 2 ] && ! cmp -s "$dir/now" "$dir/after"; then
                bad "$what: success, but the registry is not the clean run's"
                diff "$dir/after" "$dir/now" | head -6
            elif ! cmp -s "$dir/now" "$dir/before" &&
                ! cmp -s "$dir/now" "$dir/after"; then
                bad "$what: the registry is half changed"
                diff "$dir/before" "$dir/now" | head -6
            elif ! outbox_clean; then
                bad "$what: a file in an outbox the registry did not deliver"
                comm -23 "$dir/seen" "$dir/reg" | head -3
            else
                ok
            fi
            # then the same without the fault: as the clean run, or (the
            # work was applied before the fault) a duplicate that
            # finishes the delivery
            if [ "$rc" -ge 2 ] && cmp -s "$dir/now" "$dir/before"; then
                "$@" >/dev/null 2>"$dir/err"
                rc=$?
                dump >"$dir/now"
                if [ "$rc" -ne "$clean_rc" ] ||
                    ! cmp -s "$dir/now" "$dir/after"; then
                    bad "$what: the rerun (exit $rc) is not the clean run"
                    head -3 "$dir/err"
                elif [ "$(outbox_count)" -ne "$clean_outputs" ] ||
                    ! outbox_clean; then
                    bad "$what: the rerun's outboxes are not the clean run's"
                else
                    ok
                fi
            elif [ "$rc" -ge 2 ]; then
                "$@" >/dev/null 2>"$dir/err"
                rc=$?
                if [ "$rc" -ge 2 ] || [ "$(outbox_count)" -lt "$clean_outputs" ] ||
                    ! outbox_clean; then
                    bad "$what: the rerun (exit $rc) does not finish the delivery"
                    head -3 "$dir/err"
                else
                    ok
                fi
            fi
        done
    done
    # the next step starts from this one's clean result
    rm -rf "$home" && cp -a "$dir/base" "$home"
    "$@" >/dev/null 2>&1
    rm -rf "$dir/base" && cp -a "$home" "$dir/base"
}

cp -a "$home" "$dir/base"
walk "agency file in" $OG ingest --home "$home" --partner demo-agency \
    "$dir/debts.txt"
walk "cycle to the tax board" $OG cycle --home "$home" --to demo-taxboard
sent=$(ls "$home"/var/spool/demo-taxboard/outbox/taxboard-debt.*.txt)
$OG synth replies --program caltrecs --sent "$sent" --seed 11 \
    --partner-code DEMO1 --no-match-share 0.2 --offset-share 0.6 \
    --reversal-share 0.2 --match-output "$dir/match.txt" \
    --collection-output "$dir/coll.txt" >/dev/null
walk "tax board's match file in" $OG ingest --home "$home" \
    --partner demo-taxboard "$dir/match.txt"
walk "tax board's collection file in" $OG ingest --home "$home" \
    --partner demo-taxboard "$dir/coll.txt"

echo "# faults: $injected faults injected"
echo "# faults: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
