#!/usr/bin/env bash
# bench/parse.sh - offsetgw parse against a GnuCOBOL program doing the same job.
#
# Builds bench/gendebts.c and bench/debtcsv.cob into bench/out/, makes a
# debt250 file of N detail records (default 1,000,000), then times, each
# RUNS times (default 3) and keeps the median:
#   wc -l                (the floor: just reading the bytes)
#   bench/out/debtcsv    (GnuCOBOL: fixed-width read, checks, CSV out)
#   ./offsetgw parse --layout bench/debt250.xml --format csv --record detail
# checks the two CSV outputs are byte-identical, and prints a table.
#
# Usage: bench/parse.sh            (from anywhere; N=1000 bench/parse.sh
#                                   for a quick run)
# Needs: cc, cobc (apt-get install gnucobol3), GNU time (/usr/bin/time),
#        a built ./offsetgw (or a configured tree: it runs make).
set -euo pipefail

cd "$(dirname "$0")/.."

N=${N:-1000000}
SEED=${SEED:-20251126}
RUNS=${RUNS:-5}
OUT=bench/out
DATA=$OUT/debts.txt
LAYOUT=bench/debt250.xml
TIME=/usr/bin/time

die() {
    echo "parse.sh: $*" >&2
    exit 1
}

command -v cc >/dev/null || die "no C compiler (cc)"
command -v cobc >/dev/null ||
    die "GnuCOBOL not found: apt-get install -y gnucobol3"
[ -x "$TIME" ] || die "GNU time not found at $TIME: apt-get install -y time"

if [ ! -x ./offsetgw ]; then
    if [ -f Makefile ]; then
        echo "== building offsetgw (make -j2)"
        make -j2 offsetgw >/dev/null || die "make failed"
    fi
    [ -x ./offsetgw ] ||
        die "./offsetgw is not built and there is no configured tree: run scripts/test first"
fi

mkdir -p "$OUT"

echo "== building the generator and the GnuCOBOL program"
cc -O2 -o "$OUT/gendebts" bench/gendebts.c
cobc -x -O2 -o "$OUT/debtcsv" bench/debtcsv.cob

echo "== generating $N detail records (seed $SEED) into $DATA"
"$OUT/gendebts" "$N" "$SEED" >"$DATA"
lines=$((N + 2))
bytes=$(stat -c %s "$DATA")
[ "$bytes" -eq $((lines * 251)) ] ||
    die "$DATA has $bytes bytes, expected $((lines * 251))"

# timed NAME OKSTATUSES CMD...: run CMD (with the redirections in
# $STDOUT/$STDERR) RUNS times under GNU time; sets SECS and RSS_KB to the
# median run's.  A status not in OKSTATUSES (e.g. "0 1") fails the script.
# One timed run of a tool: NAME OK_STATUSES STDOUT STDERR CMD...; appends
# "seconds rss_kb" to RESULTS_<NAME>.
run_once() {
    local name=$1 ok=$2 out=$3 err=$4 rc=0
    shift 4
    "$TIME" -f '%e %M' -o "$OUT/time.$name" "$@" >"$out" 2>"$err" || rc=$?
    case " $ok " in
    *" $rc "*) ;;
    *)
        echo "parse.sh: $name exited with status $rc; its stderr:" >&2
        tail -n 20 "$err" >&2
        tail -n 2 "$OUT/time.$name" >&2
        exit 1
        ;;
    esac
    # GNU time puts "Command exited with non-zero status 1" first
    eval "RESULTS_$name+=(\"\$(tail -n 1 \"\$OUT/time.$name\")\")"
}

# The median run of NAME: sets SECS and RSS_KB, prints every run.
median_of() {
    local name=$1 median
    local -n results="RESULTS_$name"
    median=$(printf '%s\n' "${results[@]}" | sort -n -k1,1 |
        sed -n "$(((RUNS + 1) / 2))p")
    SECS=${median% *}
    RSS_KB=${median#* }
    printf '   %-10s runs: %s\n' "$name" "$(printf '%ss ' "${results[@]%% *}")"
}

# The tools take turns, run after run, so that both see the same machine
# (this VM's speed drifts by tens of percent over a minute).
echo "== timing ($RUNS runs each, interleaved, median kept)"
RESULTS_wc=() RESULTS_gnucobol=() RESULTS_offsetgw=()
for ((i = 1; i <= RUNS; i++)); do
    run_once wc "0" /dev/null "$OUT/wc.err" wc -l "$DATA"
    run_once gnucobol "0 1" /dev/null "$OUT/cobol.err" \
        "$OUT/debtcsv" "$DATA" "$OUT/cobol.csv"
    run_once offsetgw "0 1" "$OUT/offsetgw.csv" "$OUT/offsetgw.err" \
        ./offsetgw parse --layout "$LAYOUT" --format csv --record detail "$DATA"
done
median_of wc
wc_s=$SECS wc_kb=$RSS_KB
median_of gnucobol
cob_s=$SECS cob_kb=$RSS_KB
median_of offsetgw
ogw_s=$SECS ogw_kb=$RSS_KB
if ! tail -n 1 "$OUT/offsetgw.err" | grep -q 'file accepted$'; then
    echo "parse.sh: FAIL: offsetgw rejected the file:" >&2
    grep -v "field '" "$OUT/offsetgw.err" | tail -n 5 >&2
    exit 1
fi

echo "== comparing the CSV outputs"
rows=$(($(wc -l <"$OUT/cobol.csv") - 1))
[ "$rows" -gt 0 ] || die "GnuCOBOL wrote no records (see $OUT/cobol.err)"
if ! cmp "$OUT/cobol.csv" "$OUT/offsetgw.csv"; then
    echo "parse.sh: FAIL: $OUT/cobol.csv and $OUT/offsetgw.csv differ" >&2
    diff "$OUT/cobol.csv" "$OUT/offsetgw.csv" | head -n 20 >&2 || true
    echo "   (GnuCOBOL $(wc -l <"$OUT/cobol.csv") lines, offsetgw" \
        "$(wc -l <"$OUT/offsetgw.csv") lines; offsetgw stderr:" \
        "$OUT/offsetgw.err)" >&2
    exit 1
fi
echo "   identical: $rows accepted details of $N, $((N - rows)) rejected"

echo
awk -v lines="$lines" -v bytes="$bytes" \
    -v wc_s="$wc_s" -v wc_kb="$wc_kb" \
    -v cob_s="$cob_s" -v cob_kb="$cob_kb" \
    -v ogw_s="$ogw_s" -v ogw_kb="$ogw_kb" '
function row(name, s, kb) {
    if (s > 0)
        printf "%-10s %8.2f %12.0f %8.1f %9.1f\n", name, s, lines / s,
            bytes / 1e6 / s, kb / 1024
    else
        printf "%-10s %8.2f %12s %8s %9.1f\n", name, s, "-", "-", kb / 1024
}
BEGIN {
    printf "%d records, %.1f MB\n", lines, bytes / 1e6
    printf "%-10s %8s %12s %8s %9s\n", "tool", "seconds", "records/s",
        "MB/s", "RSS MB"
    row("wc -l", wc_s, wc_kb)
    row("gnucobol", cob_s, cob_kb)
    row("offsetgw", ogw_s, ogw_kb)
    if (ogw_s > 0)
        printf "offsetgw speed-up over GnuCOBOL: %.2fx\n", cob_s / ogw_s
    else
        printf "offsetgw speed-up over GnuCOBOL: - (too fast to time)\n"
}'
