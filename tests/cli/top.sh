#!/usr/bin/env bash
# tests/cli/top.sh - the Treasury Offset Program's steps through the real
# binary, on fixed days with fixed seeds (KEES: P -> address request ->
# match N/E/D -> 60-day notice S -> certified C -> referral -> offsets):
#   day 0   an agency's debt file in; the cycle sends the address request
#           and refers nothing (no debt is certified);
#           Treasury's match file in: the agency's match file out;
#   day 9   the agency's change file: the notice date for every debt in N
#           (its match file's status), and a correction of one debt in E;
#           the cycle asks about the corrected debt again, refers nothing;
#   day 64  the notices' 60 days are up: the cycle certifies and refers
#           them; Treasury's collection file in; the reconciliation out.
# Every file the gateway writes is compared byte for byte with
# tests/data/top/expected/ (OG_TOP_UPDATE=1 rewrites them; read the diff
# before committing it).
set -u
OG=${OG:-./offsetgw}
expected=${OG_TEST_DATA:-tests/data}/top/expected
dir=$(mktemp -d /tmp/og-top-XXXXXX)
trap 'rm -rf "$dir"' EXIT
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
details() { grep -c '^D' "$1"; }

home=$dir/gw
spool=$home/var/spool
export OFFSETGW_TODAY=2026-06-01
# these read the spool's files directly: a plain spool (encryption at
# rest is tests/e2e/atrest.sh's; the registry's SSNs are sealed all the
# same)
check "a demo home" $OG init --home "$home" --demo --plain-spool
check "a TOP agency" $OG partner add --home "$home" --kind agency \
    --program top --agency-code KSDCF01 dcf
check "an agency file" $OG synth --program top --records 30 \
    --bad-share 0.1 --seed 5 --agency-code KSDCF01 --output "$dir/debts.txt"
$OG ingest --home "$home" --partner dcf "$dir/debts.txt" >/dev/null
check "the agency file was taken in part (exit 1)" test $? -eq 1
check "day 0: the cycle" $OG cycle --home "$home" --to demo-treasury
cp "$dir/out" "$dir/cycle"
check "  asked about every debt taken" grep -q \
    "address request for 27 debts" "$dir/cycle"
check "  and referred nothing" grep -q "nothing due (27 debts not yet" \
    "$dir/cycle"
request=$(ls "$spool"/demo-treasury/outbox/treasury-address-request.*.txt)
check "Treasury's answers" $OG synth replies --program top \
    --sent "$request" --seed 3 --partner-code DEMOTOP1 \
    --no-match-share 0.15 --deceased-share 0.05 \
    --match-output "$dir/match.txt"
check "the match file is taken" $OG ingest --home "$home" \
    --partner demo-treasury "$dir/match.txt"
matches=$(ls "$spool"/dcf/outbox/matches.*.txt)
# the agency's match file: account in columns 2-21, status in 28
cut -c2-21,28 "$matches" | awk 'NR > 1 && length($0) > 1 {
    print substr($0, 21, 1), substr($0, 1, 20) }' >"$dir/status"
n_matched=$(grep -c '^N' "$dir/status")
check "some debts matched ($n_matched), some did not" \
    test "$n_matched" -gt 0 -a "$(grep -c '^E' "$dir/status")" -gt 0

# day 9: the agency mailed the notices on day 4; it corrects one E debt
export OFFSETGW_TODAY=2026-06-10
awk -v status="$dir/status" '
    BEGIN { while ((getline l < status) > 0) {
                s = substr(l, 1, 1); a = substr(l, 3)
                if (s == "N") want[a] = "N"
                else if (s == "E" && !fixed) { want[a] = "E"; fixed = 1 } } }
    /^H/ { print substr($0, 1, 9) "20260610" "000002" substr($0, 24); next }
    /^D/ { a = substr($0, 3, 20)
           if (!(a in want)) next
           line = "DC" substr($0, 3)
           if (want[a] == "N")
               line = substr(line, 1, 166) "20260605" substr(line, 175)
           n++; cents += substr($0, 143, 11) + 0; print line; next }
    /^T/ { printf "T%09d%015d%s\n", n, cents, substr($0, 26) }' \
    "$dir/debts.txt" >"$dir/notices.txt"
check "the notice file is taken whole" $OG ingest --home "$home" \
    --partner dcf "$dir/notices.txt"
check "day 9: the cycle" $OG cycle --home "$home" --to demo-treasury
cp "$dir/out" "$dir/cycle"
check "  asks about the corrected debt again" grep -q \
    "address request for 1 debts" "$dir/cycle"
check "  and refers nothing: the notices' 60 days have not run" grep -q \
    "nothing due" "$dir/cycle"

# day 64: 60 days after the notices
export OFFSETGW_TODAY=2026-08-04
check "day 64: the cycle" $OG cycle --home "$home" --to demo-treasury
cp "$dir/out" "$dir/cycle"
check "  certifies every noticed debt ($n_matched)" grep -q \
    "certified now: $n_matched\$" "$dir/cycle"
referral=$(ls "$spool"/demo-treasury/outbox/treasury-referral.*.txt)
check "  and refers them, as adds" test "$(details "$referral")" \
    -eq "$n_matched"
check "Treasury's offsets" $OG synth replies --program top \
    --sent "$referral" --seed 4 --partner-code DEMOTOP1 \
    --offset-share 0.6 --reversal-share 0.25 \
    --collection-output "$dir/coll.txt"
check "the collection file is taken" $OG ingest --home "$home" \
    --partner demo-treasury "$dir/coll.txt"
check "August's reconciliation" $OG reconcile --home "$home" \
    --period 2026-08 --agency dcf

# every file the gateway wrote, byte for byte
outputs=$(cd "$spool" && find . -path '*/outbox/*' -type f ! -path '*/.tmp/*' |
    sort)
if [ "${OG_TOP_UPDATE:-0}" = 1 ]; then
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

recon=$(ls "$spool"/dcf/outbox/reconciliation.*.csv)
check "every reconciliation line ties out" awk -F, 'NR > 1 {
        if (($5 + $6 - $7 + $8 - $9 - $12) * 100 > 0.5 ||
            ($5 + $6 - $7 + $8 - $9 - $12) * 100 < -0.5) bad++ }
    END { exit bad > 0 }' "$recon"

echo "# top.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
