#!/usr/bin/env bash
# bench/atrest.sh - the cost of encryption at rest on SFTP throughput
# (issue 6): two `offsetgw serve` on loopback, one on a home whose spool
# is encrypted at rest (the default, vault.h), one on a home made with
# `init --plain-spool`, the same OpenSSH `sftp -b` client, key and cipher.
# Each run uploads a file of SIZE_MIB MiB (random bytes) to /inbox under a
# temporary name (big.bin.part: not handed on, so the transfer alone is
# timed) and downloads one placed in /outbox (written through the home's
# vault: encrypted on the one, plain on the other), on both servers,
# interleaved (the one that goes first alternates).  Prints the medians
# of RUNS runs in MB/s (10^6 bytes per second of the whole `sftp -b`
# command, login included) and the ratio on/off.
#
#   bench/atrest.sh        # RUNS=5 SIZE_MIB=256 CIPHER=aes128-gcm@openssh.com
set -eu
OG=${OG:-./offsetgw}
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-256}
CIPHER=${CIPHER:-aes128-gcm@openssh.com}
out=bench/out/atrest
rm -rf "$out"
mkdir -p "$out"
trap 'for p in ${pids:-}; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o BatchMode=yes -o LogLevel=ERROR -c "$CIPHER")
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$out/big.bin"
pids=
declare -A port
for mode in on off; do
    home=$out/$mode
    $OG init --home "$home" --demo >/dev/null
    [ "$mode" = off ] && $OG init --home "$home" --plain-spool >/dev/null
    $OG serve --home "$home" --listen 127.0.0.1:0 \
        --port-file "$out/$mode.port" >"$out/$mode.log" 2>&1 &
    pids="$pids $!"
    for _ in $(seq 100); do [ -s "$out/$mode.port" ] && break; sleep 0.1; done
    port[$mode]=$(cat "$out/$mode.port")
done

sftp_to() { # MODE BATCH
    sftp "${opts[@]}" -i "$out/$1/demo-keys/demo-agency" -P "${port[$1]}" \
        -b "$2" demo-agency@127.0.0.1 >/dev/null
}
# the file to download: uploaded once over SFTP (so written as the
# server writes, encrypted or not), then moved into the outbox
printf 'put %s /inbox/big.bin.part\n' "$out/big.bin" >"$out/up.batch"
printf 'get /outbox/big.bin %s\n' "$out/got.bin" >"$out/down.batch"
for mode in on off; do
    sftp_to "$mode" "$out/up.batch"
    mv "$out/$mode/var/spool/demo-agency/inbox/big.bin.part" \
        "$out/$mode/var/spool/demo-agency/outbox/big.bin"
done
[ "$(head -c 6 "$out/on/var/spool/demo-agency/outbox/big.bin")" = OGAEAD ]
[ "$(head -c 6 "$out/off/var/spool/demo-agency/outbox/big.bin")" != OGAEAD ]

now() { date +%s.%N; }
mbs() { awk -v b=$((SIZE_MIB * 1024 * 1024)) -v t="$1" 'BEGIN { printf "%.0f", b / t / 1e6 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
: >"$out/times"
for r in $(seq "$RUNS"); do
    order="on off"
    [ $((r % 2)) -eq 0 ] && order="off on"
    for mode in $order; do
        t0=$(now)
        sftp_to "$mode" "$out/up.batch"
        t1=$(now)
        sftp_to "$mode" "$out/down.batch"
        t2=$(now)
        cmp -s "$out/got.bin" "$out/big.bin" || {
            echo "atrest: $mode: the download differs" >&2
            exit 1
        }
        echo "$mode up $(mbs "$(echo "$t1 - $t0" | bc)")" >>"$out/times"
        echo "$mode down $(mbs "$(echo "$t2 - $t1" | bc)")" >>"$out/times"
        rm -f "$out/got.bin"
    done
done
printf '%-6s %10s %10s %8s   (%d MiB, %s, median of %d)\n' "" on off \
    on/off "$SIZE_MIB" "$CIPHER" "$RUNS"
for dir in up down; do
    on=$(awk -v d=$dir '$1 == "on" && $2 == d { print $3 }' "$out/times" | median)
    off=$(awk -v d=$dir '$1 == "off" && $2 == d { print $3 }' "$out/times" | median)
    printf '%-6s %7s MB/s %5s MB/s %8s\n' "$dir" "$on" "$off" \
        "$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.2f", a / b }')"
done
