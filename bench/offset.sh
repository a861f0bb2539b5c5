#!/usr/bin/env bash
# bench/offset.sh - a payer's file of 5,000,000 payments matched against a
# registry of 1,000,000 debtors (1,300,000 debts): the setoff-program model.
#
# Builds, once, a Kansas registry: two agencies, the first with 1,000,000
# synthetic debts, the second with 300,000 debts of the first 300,000 of
# the same debtors (the same seed), so 300,000 debtors owe both.  Then a
# payer file that fits it (offsetgw synth payments: 10% of the payments to
# registered debtors, 2% of those under another name, payroll, joint
# refunds, exempt payments).  Then times, RUNS times interleaved (median
# kept): sha256sum of the payer file (the baseline: reading and hashing
# it once) and "offsetgw ingest" of it into a fresh copy of the registry.
# Prints seconds, payments/s and peak RSS.  N=... D=... for other sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-5000000} # payments
D=${D:-1000000} # debts of the first agency (and debtors)
D2=${D2:-$((D * 3 / 10))}
RUNS=${RUNS:-3}
OUT=bench/out
TIME=/usr/bin/time
export OFFSETGW_TODAY=2026-11-26
[ -x ./offsetgw ] || { echo "build first (scripts/run or make)" >&2; exit 1; }
mkdir -p "$OUT"
registry=$OUT/offset-registry-$D
payments=$OUT/payments-$N-$D.txt
home=$OUT/home-offset

if [ ! -s "$registry/var/offsetgw.db" ]; then
    echo "== a Kansas registry: $D + $D2 debts"
    rm -rf "$registry"
    ./offsetgw init --home "$registry" >/dev/null
    ./offsetgw partner add --home "$registry" --kind agency --program kansas \
        --agency-code KSA01 ks1 >/dev/null
    ./offsetgw partner add --home "$registry" --kind agency --program kansas \
        --agency-code KSA02 ks2 >/dev/null
    ./offsetgw partner add --home "$registry" --kind payer --program kansas \
        --agency-code KDOR kdor >/dev/null
    ./offsetgw synth --program kansas --records "$D" --bad-share 0 --seed 11 \
        --date 2026-11-26 --agency-code KSA01 --output "$OUT/ks1.txt"
    ./offsetgw synth --program kansas --records "$D2" --bad-share 0 --seed 11 \
        --date 2026-11-26 --agency-code KSA02 --output "$OUT/ks2.txt"
    ./offsetgw ingest --home "$registry" --partner ks1 "$OUT/ks1.txt" | head -1
    ./offsetgw ingest --home "$registry" --partner ks2 "$OUT/ks2.txt" | head -1
    rm -f "$OUT/ks1.txt" "$OUT/ks2.txt" "$payments"
fi
if [ ! -s "$payments" ]; then
    echo "== synthesising $N payments into $payments"
    ./offsetgw synth payments --program kansas --home "$registry" \
        --records "$N" --debtor-share 0.1 --seed 5 --date 2026-11-26 \
        --payer-code KDOR --output "$payments"
fi

run() { # NAME CMD...: one timed run, "seconds kb" appended to OUT/time.NAME
    local name=$1 rc=0
    shift
    "$TIME" -f '%e %M' -o "$OUT/time.$name.1" "$@" >"$OUT/$name.out" 2>&1 ||
        rc=$?
    if [ $rc -ne 0 ]; then
        echo "$name failed ($rc):" >&2
        tail -5 "$OUT/$name.out" >&2
        exit 1
    fi
    tail -n 1 "$OUT/time.$name.1" >>"$OUT/time.$name"
}
median() { # NAME: the median run's "seconds kb"
    sort -n "$OUT/time.$1" | sed -n "$(((RUNS + 1) / 2))p"
}
report() { # NAME
    read -r secs kb < <(median "$1")
    printf '%-10s %8.2f s %12.0f payments/s %8.1f MB peak   (runs: %s)\n' \
        "$1" "$secs" "$(echo "$N / $secs" | bc -l)" \
        "$(echo "$kb / 1024" | bc -l)" \
        "$(cut -d' ' -f1 "$OUT/time.$1" | tr '\n' ' ')"
}

echo "== $N payments ($(du -h "$payments" | cut -f1)), $RUNS runs"
rm -f "$OUT/time.sha256sum" "$OUT/time.offset"
for _ in $(seq "$RUNS"); do
    run sha256sum sha256sum "$payments"
    rm -rf "$home"
    cp -a "$registry" "$home"
    run offset ./offsetgw ingest --home "$home" --partner kdor "$payments"
done
report sha256sum
report offset
read -r base _ < <(median sha256sum)
read -r mine _ < <(median offset)
printf 'offsetgw ingest takes %.1fx the baseline\n' \
    "$(echo "$mine / $base" | bc -l)"
sed -n '1,3p' "$OUT/offset.out"
