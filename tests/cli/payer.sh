#!/usr/bin/env bash
# tests/cli/payer.sh - the setoff-program model through the real binary:
# a Kansas agency's debts in, a payer's payment file that fits them
# (offsetgw synth payments) matched, the offsets tied out across the
# payer's file and the agency's, the same file again a duplicate, the
# debtor's appeal holding a payment's offsets, the appeals decided (one
# upheld, one denied), the final offsets remitted, and the months
# reconciled with the net remitted where it was paid; every file the gateway
# wrote compared byte for byte with tests/data/payer/expected/.
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-payer-XXXXXX)
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
status_is() { # WANT, then a command
    local want=$1 rc=0
    shift
    "$@" >/dev/null 2>&1 || rc=$?
    [ "$rc" -eq "$want" ]
}

home=$dir/gw
spool=$home/var/spool
# these read the spool's files directly: a plain spool (encryption at
# rest is tests/e2e/atrest.sh's; the registry's SSNs are sealed all the
# same)
check "a demo home" $OG init --home "$home" --demo --plain-spool
check "a Kansas agency" $OG partner add --home "$home" --kind agency \
    --program kansas --agency-code KSDOR1 ks-agency
check "its debt file" $OG synth --program kansas --records 300 --seed 3 \
    --date 2026-11-20 --agency-code KSDOR1 --output "$dir/debts.txt"
check "is taken in" $OG ingest --home "$home" --partner ks-agency \
    "$dir/debts.txt"
check "a payer's file that fits the registry" $OG synth payments \
    --program kansas --home "$home" --records 2000 --debtor-share 0.3 \
    --seed 9 --date 2026-11-20 --payer-code KDOR --output "$dir/pay.txt"
check "the payer's file is taken" $OG ingest --home "$home" \
    --partner demo-payer "$dir/pay.txt"
off=$(ls "$spool"/demo-payer/outbox/offsets.*.txt 2>/dev/null)
coll=$(ls "$spool"/ks-agency/outbox/collections.*.txt 2>/dev/null)
check "the payer has its offset instructions" test -s "$off"
check "the agency has its collections" test -s "$coll"

# every payment in the offset file adds up; the offsets are the agency's
check "each payment: offsets + fees + released = payment" awk '
    /^D/ { id = substr($0, 2, 20); sum[id] += substr($0, 31, 11) + \
           substr($0, 42, 11) + substr($0, 53, 11); amt[id] = substr($0, 92, 11) + 0 }
    END { for (id in sum) if (sum[id] != amt[id]) bad++; exit bad > 0 }' "$off"
offsets=$(grep '^T' "$off" | cut -c11-25 | sed 's/^0*//')
collected=$(grep '^T' "$coll" | cut -c11-25 | sed 's/^+//;s/^0*//')
check "payer offsets = agency collections ($offsets)" \
    test "${offsets:-0}" = "${collected:-0}"

$OG ingest --home "$home" --partner demo-payer "$dir/pay.txt" >"$dir/dup"
check "the same file again is refused (exit 1)" test $? -eq 1
check "  as a duplicate" grep -q C_DUP_FILE "$dir/dup"

# payments with an offset: the ids in the offset file with an agency
paid=$(awk '/^D/ && substr($0, 64, 8) !~ /^ *$/ { print substr($0, 2, 20) }' \
    "$off" | sed 's/ *$//' | uniq)
payment=$(echo "$paid" | sed -n 1p)
later=$(echo "$paid" | sed -n 2p)
check "an appeal in the window holds the offsets" bash -c \
    "$OG appeal --home '$home' --payment '$payment' >'$dir/appeal'"
check "  and says so" grep -q "held by the appeal of 2026-11-20" \
    "$dir/appeal"
check "a second appeal finds them held" $OG appeal --home "$home" \
    --partner demo-payer --trace "$payment.01"
check "after the window (15 days) an appeal is refused (exit 1)" \
    status_is 1 env OFFSETGW_TODAY=2026-12-05 $OG appeal --home "$home" \
    --payment "$later"
check "the day before, it is held" env OFFSETGW_TODAY=2026-12-04 \
    $OG appeal --home "$home" --payment "$later"
check "an appeal of no payment is refused (exit 1)" \
    status_is 1 $OG appeal --home "$home" --payment NOSUCH
check "appeal needs a payment or a trace (2)" \
    status_is 2 $OG appeal --home "$home"

# deciding the appeals: the first payment's upheld (reversed, released to
# the payee, the agency told), the later one's denied after its window
third=$(echo "$paid" | sed -n 3p)
check "upheld: the offsets are reversed" bash -c \
    "$OG appeal --home '$home' --payment '$payment' --decide upheld \
    >'$dir/upheld'"
check "  and released to the payee" grep -q "upheld: reversed" "$dir/upheld"
check "  the payer has its release file" \
    test -s "$(ls "$spool"/demo-payer/outbox/releases.* 2>/dev/null)"
check "  with R lines only" awk '/^D/ && substr($0, 103, 1) != "R" {
    bad++ } END { exit bad > 0 }' "$spool"/demo-payer/outbox/releases.*
check "  the agency has the reversals" \
    test -s "$(ls "$spool"/ks-agency/outbox/reversals.* 2>/dev/null)"
check "deciding it again is refused (exit 1)" status_is 1 $OG appeal \
    --home "$home" --payment "$payment" --decide denied
check "deciding what was never appealed is refused (exit 1)" status_is 1 \
    $OG appeal --home "$home" --payment "$third" --decide denied
check "--decide takes upheld or denied (2)" status_is 2 $OG appeal \
    --home "$home" --payment "$later" --decide maybe
check "denied on 2026-12-08: final then" bash -c \
    "OFFSETGW_TODAY=2026-12-08 $OG appeal --home '$home' --payment '$later' \
    --decide denied | grep -q 'denied: final on 2026-12-08'"

# remittances: nothing before the window closes, then what is final
check "a remittance of a day to come is refused (exit 1)" status_is 1 \
    $OG remit --home "$home" --partner demo-payer --date 2026-12-05
check "remit needs a payer (2)" status_is 2 $OG remit --home "$home"
check "on 2026-12-05 the final offsets are remitted" bash -c \
    "OFFSETGW_TODAY=2026-12-05 $OG remit --home '$home' --partner demo-payer \
    >'$dir/remit1'"
check "  to the agency" grep -q "ks-agency: remittance" "$dir/remit1"
check "the same day again remits nothing" bash -c \
    "OFFSETGW_TODAY=2026-12-05 $OG remit --home '$home' --partner demo-payer |
    grep -q '0 offsets remitted to 0 agencies'"
check "on 2026-12-08 the denied appeal's offsets follow" bash -c \
    "OFFSETGW_TODAY=2026-12-10 $OG remit --home '$home' --partner demo-payer \
    --date 2026-12-08 >'$dir/remit2'"
check "  only those" grep -q "ks-agency: remittance" "$dir/remit2"
# offsets taken - reversed - held == remitted, over the two remittances
taken=$(grep '^T' "$coll" | cut -c11-25 | sed 's/^+//;s/^0*//')
reversed=$(grep '^T' "$spool"/ks-agency/outbox/reversals.* | cut -c11-25 |
    sed 's/^-//;s/^0*//')
remitted=$(cat "$spool"/ks-agency/outbox/remittance.* | grep '^T' |
    cut -c11-25 | sed 's/^0*//' | awk '{ s += $1 } END { print s }')
check "remitted = taken - reversed ($remitted)" \
    test "$remitted" -eq $((taken - reversed))
# net remitted moved to December: November's is 0 for the payer's offsets
check "November is reconciled" env OFFSETGW_TODAY=2027-01-02 $OG reconcile \
    --home "$home" --period 2026-11 --agency ks-agency
check "December is reconciled" env OFFSETGW_TODAY=2027-01-02 $OG reconcile \
    --home "$home" --period 2026-12 --agency ks-agency
nov=$(grep '^T' "$spool"/ks-agency/outbox/reconciliation.2026-11.*.txt |
    cut -c101-115)
dec_net=$(grep '^T' "$spool"/ks-agency/outbox/reconciliation.2026-12.*.txt |
    cut -c101-115 | sed 's/^+//;s/^0*//')
net=$(cat "$spool"/ks-agency/outbox/remittance.* | grep '^T' | cut -c41-55 |
    sed 's/^0*//' | awk '{ s += $1 } END { print s }')
check "  November's net remitted is 0" test "$nov" = "+00000000000000"
check "  December's is the remittances' ($net)" test "${dec_net:-0}" = "$net"

# every file the gateway wrote, byte for byte (OG_LOOP_UPDATE=1 rewrites
# tests/data/payer/expected; read the diff before committing it)
expected=${OG_TEST_DATA:-tests/data}/payer/expected
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

echo "# payer.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
