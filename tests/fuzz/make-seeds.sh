#!/usr/bin/env bash
# tests/fuzz/make-seeds.sh - write the generated seeds of tests/fuzz/corpus
# (the hand-written ones are kept as they are): debt files, replies and
# payment files from `offsetgw synth`, made against a home set up as
# fuzz_core.c sets up its registry, so replies and payments name its
# debts.  Usage: OG=path/to/offsetgw tests/fuzz/make-seeds.sh
set -euo pipefail
cd "$(dirname "$0")"
OG=${OG:-offsetgw}
export OFFSETGW_TODAY=2026-11-20
dir=$(mktemp -d /tmp/og-seeds-XXXXXX)
trap 'rm -rf "$dir"' EXIT
home=$dir/gw
c=corpus
mkdir -p $c/layout $c/reader $c/core
"$OG" init --home "$home" --plain-spool >/dev/null
add() { "$OG" partner add --home "$home" --kind "$1" --program "$2" \
    ${3:+--agency-code "$3"} "$4" >/dev/null; }
# the partners of fuzz_core.c's senders[], in the same order
add agency caltrecs CAL01 cal-agency
add agency kansas KSDOR1 ks-agency
add agency utah UTORS1 ut-agency
add agency top KSDCF01 top-agency
add taxboard caltrecs SYNTH ftb
add treasury top SYNTH treasury
add payer kansas "" ks-payer
add payer utah "" ut-payer
for a in cal-agency:caltrecs ks-agency:kansas ut-agency:utah top-agency:top; do
    "$OG" ingest --home "$home" --partner "${a%%:*}" \
        "data/${a#*:}-debts.txt" >/dev/null
done
"$OG" cycle --home "$home" --to ftb >/dev/null
"$OG" cycle --home "$home" --to treasury >/dev/null

# seed = one selector byte, then the file
seed() { # BYTE OUT FILE
    { printf "\\x$(printf %02x "$1")"; cat "$3"; } >"$2"
}
# agency debt files: new debts, and some bad in every way
i=0
for p in caltrecs:CAL01 kansas:KSDOR1 utah:UTORS1 top:KSDCF01; do
    "$OG" synth --program "${p%%:*}" --records 6 --bad-share 0.5 --seed 7 \
        --date 2026-11-20 --agency-code "${p#*:}" --output "$dir/d.txt" \
        2>/dev/null
    seed $i $c/core/debt-${p%%:*} "$dir/d.txt"
    i=$((i + 1))
done
# replies to the cycles sent
for p in ftb:caltrecs:4 treasury:top:5; do
    IFS=: read -r who prog sel <<<"$p"
    for sent in "$home"/var/spool/$who/outbox/*; do
        "$OG" synth replies --program "$prog" --sent "$sent" --seed 5 \
            --date 2026-11-20 --match-output "$dir/m.txt" \
            --collection-output "$dir/c.txt" --invalid-share 0.2 \
            --offset-share 0.5 >/dev/null 2>&1 || continue
        [ -s "$dir/m.txt" ] && seed "$sel" $c/core/match-$who "$dir/m.txt"
        [ -s "$dir/c.txt" ] && seed "$sel" $c/core/collection-$who "$dir/c.txt"
    done
done
# payments that fit the registry
for p in kansas:6 utah:7; do
    "$OG" synth payments --program "${p%%:*}" --home "$home" --records 8 \
        --debtor-share 0.6 --joint-share 0.3 --seed 9 --date 2026-11-20 \
        --output "$dir/p.txt" >/dev/null 2>&1
    seed "${p#*:}" $c/core/payment-${p%%:*} "$dir/p.txt"
done

# the record parser: fuzz_reader.c's layouts, in its order
head -c 1100 data/caltrecs-debts.txt >"$dir/x" && seed 0 $c/reader/caltrecs-debt "$dir/x"
tail -c +2 $c/core/payment-kansas | head -c 2000 >"$dir/x" && seed 1 $c/reader/kansas-payment "$dir/x"
head -c 1100 data/top-debts.txt >"$dir/x" && seed 2 $c/reader/top-debt "$dir/x"
tail -c +2 $c/core/match-ftb | head -c 2000 >"$dir/x" && seed 3 $c/reader/partner-match "$dir/x"
printf 'period_start,period_end,agency,count,amount\n2026-10-01,2026-10-31,CAL01,3,"1,234.56"\n' >"$dir/x"
seed 4 $c/reader/reconciliation-csv "$dir/x"
seed 5 $c/reader/debts-csv ../data/debts.csv
seed 6 $c/reader/batches ../data/batches.txt
seed 7 $c/reader/all-types ../data/all-types.txt

# the layout loader: the shipped layouts and a few broken ones
for f in ../../formats/layouts/*/*.xml; do
    cp "$f" "$c/layout/$(basename "$(dirname "$f")")-$(basename "$f")"
done
for f in ../data/debts-csv.xml ../data/batches.xml ../data/broken-overlap.xml \
    ../data/broken-external-entity.xml ../data/broken-total-sum-text.xml; do
    cp "$f" "$c/layout/test-$(basename "$f")"
done
echo "seeds: $(find $c -type f | wc -l) files, $(du -sk $c | cut -f1) KiB"
