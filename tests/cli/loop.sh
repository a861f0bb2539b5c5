#!/usr/bin/env bash
# tests/cli/loop.sh - the whole offset loop through the real binary, on a
# fixed day with fixed seeds: an agency's debt file in, the cycle to the
# tax board, the tax board's match and collection files in, the month's
# reconciliation out.  Every file the gateway writes is compared byte for
# byte with tests/data/loop/expected/ (OG_LOOP_UPDATE=1 rewrites them;
# read the diff before committing it), and the money is checked to tie
# out across the files.
set -u
OG=${OG:-./offsetgw}
expected=${OG_TEST_DATA:-tests/data}/loop/expected
dir=$(mktemp -d /tmp/og-loop-XXXXXX)
trap 'rm -rf "$dir"' EXIT
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

home=$dir/gw
spool=$home/var/spool
# these read the spool's files directly: a plain spool (encryption at
# rest is tests/e2e/atrest.sh's; the registry's SSNs are sealed all the
# same)
check "a demo home" $OG init --home "$home" --demo --plain-spool
check "an agency file" $OG synth --program caltrecs --records 40 \
    --bad-share 0.1 --seed 7 --agency-code DEMO1 --output "$dir/debts.txt"
# exit 1: some records were refused, as they should be
$OG ingest --home "$home" --partner demo-agency "$dir/debts.txt" >/dev/null
check "the agency file was taken in part (exit 1)" test $? -eq 1
# the registry keeps no TIN in the clear (docs/registry-encryption.md):
# none of the file's SSNs is in the database file or its WAL
grep '^D' "$dir/debts.txt" | cut -c24-32 | grep -E '^[0-9]{9}$' | sort -u \
    >"$dir/ssns"
check "the agency file has SSNs to look for" test -s "$dir/ssns"
check "  and the search finds them where they are" \
    grep -qF -f "$dir/ssns" "$dir/debts.txt"
db_files=$(ls "$home/var/offsetgw.db" "$home/var/offsetgw.db-wal" \
    2>/dev/null)
check "no SSN of the file is in the registry" \
    bash -c '! strings "$@" | grep -F -f "$0"' "$dir/ssns" $db_files
check "the cycle to the tax board" $OG cycle --home "$home" --to demo-taxboard
sent=$(ls "$spool"/demo-taxboard/outbox/taxboard-debt.*.txt)
check "the tax board's answers" $OG synth replies --program caltrecs \
    --sent "$sent" --seed 11 --partner-code DEMO1 \
    --no-match-share 0.1 --deceased-share 0.05 --offset-share 0.6 \
    --reversal-share 0.25 --match-output "$dir/match.txt" \
    --collection-output "$dir/coll.txt"
check "the match file is taken" $OG ingest --home "$home" \
    --partner demo-taxboard "$dir/match.txt"
check "the collection file is taken" $OG ingest --home "$home" \
    --partner demo-taxboard "$dir/coll.txt"
# the same collection file again: a duplicate, nothing applied twice
$OG ingest --home "$home" --partner demo-taxboard "$dir/coll.txt" >"$dir/dup"
check "the same collection file again is refused (exit 1)" test $? -eq 1
check "  as a duplicate" grep -q C_DUP_FILE "$dir/dup"
check "the month's reconciliation" $OG reconcile --home "$home" \
    --period 2026-11

# every file the gateway wrote, byte for byte
outputs=$(cd "$spool" && find . -path '*/outbox/*' -type f ! -path '*/.tmp/*' |
    sort)
if [ "${OG_LOOP_UPDATE:-0}" = 1 ]; then
    rm -rf "$expected"
    for f in $outputs; do
        mkdir -p "$expected/$(dirname "$f")"
        cp "$spool/$f" "$expected/$f"
    done
fi
check "the gateway wrote the files expected, and no others" \
    diff <(echo "$outputs") <(cd "$expected" && find . -type f | sort)
for f in $outputs; do
    check "$f is as expected" cmp "$spool/$f" "$expected/$f"
done

# the money ties out across the files: what the tax board sent less its
# fees is what the agency's collection file and its reconciliation say
coll=$(ls "$spool"/demo-agency/outbox/collections.*.txt)
recon=$(ls "$spool"/demo-agency/outbox/reconciliation.*.csv)
net_collections=$(grep '^T' "$coll" | cut -c41-55 | sed 's/^+//;s/^0*//')
net_recon=$(awk -F, 'NR > 1 { s += $11 * 100 } END { printf "%d", s }' \
    "$recon")
check "collections net = reconciliation net remitted ($net_collections)" \
    test "${net_collections:-0}" = "$net_recon"
check "every reconciliation line ties out" awk -F, 'NR > 1 {
        if (($5 + $6 - $7 + $8 - $9 - $12) * 100 > 0.5 ||
            ($5 + $6 - $7 + $8 - $9 - $12) * 100 < -0.5) bad++ }
    END { exit bad > 0 }' "$recon"

echo "# loop.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
