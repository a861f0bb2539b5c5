#!/usr/bin/env bash
# bench/aead.sh - throughput of the encrypted file format (aead.h).
#
# Encrypts and decrypts one file of MIB MiB (default 512) of random bytes
# with bench/aeadbench.c, and times `cat` and `sha256sum` of the same file
# in the same run as a baseline.  Each command runs RUNS times (default
# 3); the median is printed in MB/s (10^6 bytes per second of plaintext).
# Needs a built libcore.a: ./configure && make, or scripts/test (which
# leaves build-plain/).  Data goes to bench/out/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${MIB:-512}
RUNS=${RUNS:-3}
OUT=bench/out/aead

die() {
    echo "aead.sh: $*" >&2
    exit 1
}

lib=
for d in . build-plain; do
    [ -f "$d/libcore.a" ] && lib=$d && break
done
[ -n "$lib" ] || die "no libcore.a: run ./configure && make, or scripts/test"
mkdir -p "$OUT"
cc -O2 -std=c11 -D_GNU_SOURCE -Iinclude -o "$OUT/aeadbench" \
    bench/aeadbench.c "$lib/libcore.a" $(pkg-config --libs gnutls)

plain=$OUT/plain.bin enc=$OUT/plain.enc back=$OUT/plain.back key=$OUT/master.key
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$plain"
bytes=$(stat -c %s "$plain")

# median NAME CMD...: print NAME and the median MB/s over RUNS runs
median() {
    local name=$1 secs=()
    shift
    for _ in $(seq "$RUNS"); do
        local t0 t1
        t0=$(date +%s.%N)
        "$@"
        t1=$(date +%s.%N)
        secs+=("$(echo "$t1 - $t0" | bc -l)")
    done
    local mid
    mid=$(printf '%s\n' "${secs[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
    printf '%-10s %8.0f MB/s  (%.2f s, median of %d)\n' "$name" \
        "$(echo "$bytes / $mid / 1000000" | bc -l)" "$mid" "$RUNS"
}

echo "== $MIB MiB of random bytes, $RUNS runs each"
median cat sh -c "cat '$plain' >/dev/null"
median sha256sum sh -c "sha256sum '$plain' >/dev/null"
median encrypt "$OUT/aeadbench" enc "$key" "$plain" "$enc"
median decrypt "$OUT/aeadbench" dec "$key" "$enc" "$back"
cmp -s "$plain" "$back" || die "decrypted file differs from the original"
echo "round trip identical; encrypted size $(stat -c %s "$enc") bytes"
rm -f "$plain" "$enc" "$back"
