#!/usr/bin/env bash
# bench/ingest.sh - a million-record agency file through intake and a cycle.
#
# Synthesises an agency debt file (CalTRECS layout, 2% bad records of
# every kind), then times, in one run: sha256sum of the file (the floor:
# reading and hashing it), "offsetgw ingest" into a fresh home, and the
# first "offsetgw cycle" to the tax board (one add per accepted debt).
# Prints records/s and peak RSS.  N=... for another size.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-1000000}
OUT=bench/out
TIME=/usr/bin/time
export OFFSETGW_TODAY=2026-11-26
[ -x ./offsetgw ] || { echo "build first (scripts/run or make)" >&2; exit 1; }
mkdir -p "$OUT"
file=$OUT/agency-$N.txt
home=$OUT/home-ingest
if [ ! -s "$file" ]; then
    echo "== synthesising $N records into $file"
    ./offsetgw synth --program caltrecs --records "$N" --bad-share 0.02 \
        --seed 11 --date 2026-11-26 --agency-code SYNTH01 --output "$file"
fi
rm -rf "$home"
./offsetgw init --home "$home" >/dev/null
./offsetgw partner add --home "$home" --kind agency --program caltrecs \
    --agency-code SYNTH01 county >/dev/null
./offsetgw partner add --home "$home" --kind taxboard --program caltrecs \
    --agency-code CLRH1 ftb >/dev/null

timed() { # NAME OK-STATUSES CMD...
    local name=$1 ok=$2 rc=0
    shift 2
    "$TIME" -f '%e %M' -o "$OUT/time.$name" "$@" >"$OUT/$name.out" 2>&1 || rc=$?
    case " $ok " in *" $rc "*) ;; *)
        echo "$name failed ($rc):" >&2; tail -5 "$OUT/$name.out" >&2; exit 1;;
    esac
    read -r secs kb < <(tail -n 1 "$OUT/time.$name")
    printf '%-10s %8.2f s %12.0f records/s %8.1f MB peak\n' "$name" "$secs" \
        "$(echo "$N / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
}
echo "== $N records, $(du -h "$file" | cut -f1)"
timed sha256sum "0" sha256sum "$file"
timed ingest "0 1" ./offsetgw ingest --home "$home" --partner county "$file"
timed cycle "0" ./offsetgw cycle --home "$home" --to ftb
head -n 1 "$OUT/ingest.out"
head -n 1 "$OUT/cycle.out"
