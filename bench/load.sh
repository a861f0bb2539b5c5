#!/usr/bin/env bash
# bench/load.sh - `offsetgw serve` under many agencies at once (issue 7,
# "Load"): CLIENTS concurrent SFTP clients for SECONDS, each again and
# again logging in, uploading a RECORDS-record CalTRECS debt file and
# waiting for its results (acknowledgement and unprocessable file), which
# it downloads and removes.
#
# The clients are bench/loadclient.c (libssh, one process each, built
# here): client i is partner load<i> with a key of its own (agency code
# L<i>), so 200 clients are 200 agencies.  The file is made once
# (`offsetgw synth --program caltrecs --records RECORDS --bad-share 0.02`);
# each client stamps its agency code and a sequence number into the
# header, so every upload is new bytes, and from its second upload on
# sends its adds as changes of the same accounts (same work each time).
# serve runs on a new home with --max-sessions and --max-per-address
# raised to CLIENTS + 16 (all clients come from 127.0.0.1) and no admin
# console.
#
# Measured, for the load and for a baseline in the same command (the same
# script with one client for BASE_SECONDS, and `offsetgw ingest` of the
# same file, the pipeline's floor per file):
#   - sessions/s and files/s over the whole run (from the first login to
#     the last client's last result: the files still queued at SECONDS are
#     waited for);
#   - p50/p99 from the end of an upload (the SFTP close answered) to the
#     acknowledgement in a listing of /outbox (clients poll every POLL_MS);
#   - peak memory and open file descriptors of serve and all its children
#     (connection processes, the pipeline worker), sampled every 0.5 s
#     from /proc: the sum of RSS (counts shared pages once per process),
#     of PSS (shared pages split: the real total) and of /proc/PID/fd.
# Then the counts: every upload the gateway answered has exactly one
# acknowledgement (the client saw one; no second one was left in any
# outbox), the queue ends with as many jobs done as uploads and none
# queued, running or failed, and `offsetgw transfers` lists each upload
# once with its job done.  Exits 1 on any loss, duplicate or client
# error (refused session, failed upload).
#
# Needs: ./offsetgw (or OG=), cc, libssh's headers (libssh-dev),
# ssh-keygen, python3.  CLIENTS=200 SECONDS=120 RECORDS=10000
# BASE_SECONDS=20 POLL_MS=100 by default; BASE_SECONDS=0 skips the
# baseline; OUT=bench/out.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-200}
# bash keeps its own count in SECONDS: the caller's value is the one in
# the environment at the start
SECONDS_LOAD=$(printenv SECONDS || echo 120)
RECORDS=${RECORDS:-10000}
BASE_SECONDS=${BASE_SECONDS:-20}
POLL_MS=${POLL_MS:-100}
OUT=${OUT:-bench/out}
OG=${OG:-./offsetgw}
export OFFSETGW_TODAY=${OFFSETGW_TODAY:-2026-11-20}

die() {
    echo "bench/load.sh: $*" >&2
    exit 1
}
[ -x "$OG" ] || die "build first (scripts/run or make): no $OG"
for tool in cc pkg-config ssh-keygen python3; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
pkg-config --exists libssh || die "libssh's headers are missing (libssh-dev)"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
OG=$(cd "$(dirname "$OG")" && pwd)/$(basename "$OG")

cc -O2 -std=c11 -Wall -Wextra -o "$OUT/loadclient" bench/loadclient.c \
    $(pkg-config --cflags --libs libssh)
file=$OUT/load-$RECORDS.txt
"$OG" synth --program caltrecs --records "$RECORDS" --seed 1 \
    --bad-share 0.02 --agency-code L0000000 --output "$file" 2>/dev/null

server='' sampler=''
cleanup() {
    [ -n "$sampler" ] && kill "$sampler" 2>/dev/null
    [ -n "$server" ] && kill -9 -- -"$server" 2>/dev/null
    wait 2>/dev/null || true
}
trap cleanup EXIT

# --- one run: a new home, N partners, serve, the clients, the checks ----------
# run NAME N SECONDS: leaves its figures in $OUT/load-NAME.fig as
# "key value" lines; returns 1 on loss, duplicates or client errors
run() {
    local name=$1 n=$2 secs=$3 home=$OUT/load-$1 res=$OUT/load-$1.res
    local i port t0 t1 bad=0
    rm -rf "$home" "$res" "$OUT/load-$name.fig"
    mkdir -p "$res" "$home.keys"
    "$OG" init --home "$home" >/dev/null
    for i in $(seq "$n"); do
        [ -f "$home.keys/load$i" ] || ssh-keygen -q -N '' -t ed25519 \
            -f "$home.keys/load$i" -C "load$i"
        "$OG" partner add --home "$home" --kind agency --program caltrecs \
            --agency-code "$(printf 'L%07d' "$i")" "load$i" >/dev/null
        "$OG" partner key add --home "$home" "load$i" \
            "$home.keys/load$i.pub" >/dev/null
    done
    rm -f "$OUT/load.port"
    setsid "$OG" serve --home "$home" --listen 127.0.0.1:0 \
        --port-file "$OUT/load.port" --max-sessions $((n + 16)) \
        --max-per-address $((n + 16)) --admin-listen off --stop-grace 10 \
        2>"$OUT/load-$name.log" &
    server=$!
    for _ in $(seq 100); do
        [ -s "$OUT/load.port" ] && break
        sleep 0.1
    done
    port=$(cat "$OUT/load.port" 2>/dev/null) ||
        die "serve did not start: $(tail -3 "$OUT/load-$name.log")"

    # the sampler: serve's process group, every 0.5 s, peaks on SIGTERM
    python3 - "$server" "$OUT/load-$name.peak" <<'EOF' &
import os, signal, sys, time
pgid, out = int(sys.argv[1]), sys.argv[2]
peak = {"rss_kb": 0, "pss_kb": 0, "fds": 0, "procs": 0}
def done(*_):
    with open(out, "w") as f:
        for k, v in peak.items():
            f.write(f"{k} {v}\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
while True:
    rss = pss = fds = procs = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            if int(st[2]) != pgid or st[0] == "Z":
                continue
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
            fds += len(os.listdir(f"/proc/{p}/fd"))
            procs += 1
        except (OSError, IndexError, ValueError):
            continue
    for k, v in (("rss_kb", rss), ("pss_kb", pss), ("fds", fds),
                 ("procs", procs)):
        peak[k] = max(peak[k], v)
    time.sleep(0.5)
EOF
    sampler=$!

    t0=$EPOCHREALTIME
    "$OUT/loadclient" "$port" "$home.keys" "$file" "$n" "$secs" "$POLL_MS" \
        "$res" || bad=1
    t1=$EPOCHREALTIME
    # the queue is empty once every client has its results; wait anyway
    for _ in $(seq 600); do
        "$OG" status --home "$home" | grep -q 'queue: [0-9]* queued, 0 running' &&
            "$OG" status --home "$home" | grep -q 'queue: 0 queued' && break
        sleep 0.1
    done
    kill "$sampler"
    wait "$sampler" || true
    sampler=''
    "$OG" status --home "$home" >"$OUT/load-$name.status"
    "$OG" transfers --home "$home" --json --limit 1000000 \
        >"$OUT/load-$name.transfers"
    kill -TERM "$server"
    wait "$server" || true
    server=''

    # the counts
    cat "$res"/client*.tsv >"$OUT/load-$name.tsv"
    python3 - "$OUT/load-$name.tsv" "$OUT/load-$name.status" \
        "$OUT/load-$name.transfers" "$home/var/spool" "$OUT/load-$name.peak" \
        "$t0" "$t1" "$n" "$secs" >"$OUT/load-$name.fig" <<'EOF' || bad=1
import json, os, re, sys
tsv, status, transfers, spool, peakf = sys.argv[1:6]
t0, t1, n, secs = float(sys.argv[6]), float(sys.argv[7]), sys.argv[8], sys.argv[9]
rows = [l.rstrip("\n").split("\t") for l in open(tsv) if l.strip()]
ok = [r for r in rows if r[1] == "ok"]
errors = [r for r in rows if r[1] != "ok"]
uploaded = [r for r in rows if float(r[3]) > 0]  # the close was answered
lat = sorted(float(r[4]) - float(r[3]) for r in ok)
def pct(p):
    return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
problems = []
for r in errors:
    problems.append(f"client error: {r[0]}: {r[9]}")
for r in ok:
    if int(r[6]) != 1:
        problems.append(f"{r[0]}: {r[6]} acknowledgements")
# outboxes: every acknowledgement fetched was removed; one left is a
# second one (or a lost download); inboxes: nothing left behind
left = []
for p in os.listdir(spool):
    for box in ("outbox", "inbox"):
        d = os.path.join(spool, p, box)
        if os.path.isdir(d):
            left += [f"{p}/{box}/{f}" for f in os.listdir(d)
                     if not f.startswith(".")]
for f in left:
    problems.append(f"left in the spool: {f}")
st = open(status).read()
m = re.search(r"queue: (\d+) queued, (\d+) running, (\d+) done, (\d+) failed", st)
q = [int(x) for x in m.groups()] if m else [-1] * 4
if q != [0, 0, len(uploaded), 0]:
    problems.append(f"queue {q[0]} queued, {q[1]} running, {q[2]} done, "
                    f"{q[3]} failed; {len(uploaded)} uploads answered")
ups = [json.loads(l) for l in open(transfers) if l.strip()]
ups = [t for t in ups if t["kind"] == "upload"]
jobs = [t["job"] for t in ups if t["complete"]]
if len(jobs) != len(uploaded) or len(set(jobs)) != len(jobs):
    problems.append(f"transfers: {len(jobs)} complete uploads "
                    f"({len(set(jobs))} jobs); {len(uploaded)} answered")
if any(t["job_state"] != "done" for t in ups if t["complete"]):
    problems.append("transfers: a job not done")
wall = t1 - t0
peak = dict(l.split() for l in open(peakf)) if os.path.exists(peakf) else {}
print(f"clients {n}")
print(f"seconds {secs}")
print(f"wall {wall:.1f}")
print(f"sessions {len(rows)}")
print(f"files {len(ok)}")
print(f"errors {len(errors)}")
print(f"sessions_s {len(rows) / wall:.2f}")
print(f"files_s {len(ok) / wall:.2f}")
print(f"p50 {pct(0.50):.2f}")
print(f"p99 {pct(0.99):.2f}")
print(f"max {lat[-1] if lat else float('nan'):.2f}")
print(f"rss_mb {int(peak.get('rss_kb', 0)) / 1024:.0f}")
print(f"pss_mb {int(peak.get('pss_kb', 0)) / 1024:.0f}")
print(f"fds {peak.get('fds', 0)}")
print(f"procs {peak.get('procs', 0)}")
print(f"jobs {q[2]}")
print(f"lost_or_dup {len(problems)}")
for p in problems[:20]:
    print(f"problem: {p}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
    return $bad
}
fig() { sed -n "s/^$2 //p" "$OUT/load-$1.fig"; }

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
if [ "$BASE_SECONDS" -gt 0 ]; then
    # the pipeline's floor: `offsetgw ingest` of the same file (adds, then
    # changes as the clients send them), median of 3
    bhome=$OUT/load-ingest
    rm -rf "$bhome"
    "$OG" init --home "$bhome" >/dev/null
    "$OG" partner add --home "$bhome" --kind agency --program caltrecs \
        --agency-code L0000000 ingest >/dev/null
    : >"$OUT/load-ingest.times"
    for k in 1 2 3; do
        sed -e "1s/^\\(.\\{17\\}\\)000001/\\1$(printf %06d "$k")/" \
            -e "$([ "$k" -gt 1 ] && echo 's/^DA/DC/' || echo '')" "$file" \
            >"$OUT/load-ingest-$k.txt"
        t0=$EPOCHREALTIME
        # status 1: some records rejected, as the file's 2% are
        "$OG" ingest --home "$bhome" --partner ingest \
            "$OUT/load-ingest-$k.txt" >"$OUT/load-ingest.out" ||
            [ $? -eq 1 ] || die "ingest: $(cat "$OUT/load-ingest.out")"
        grep -q ': file [0-9]* partial: ' \
            "$OUT/load-ingest.out" ||
            die "ingest took no file: $(cat "$OUT/load-ingest.out")"
        echo "$EPOCHREALTIME - $t0" | bc -l >>"$OUT/load-ingest.times"
    done
    ingest_s=$(sort -g "$OUT/load-ingest.times" | sed -n 2p)
    echo "== baseline: 1 client for $BASE_SECONDS s"
    run base 1 "$BASE_SECONDS" || rc=1
fi
echo "== load: $CLIENTS clients for $SECONDS_LOAD s, $RECORDS records a file"
run load "$CLIENTS" "$SECONDS_LOAD" || rc=1

echo
printf '%-28s %12s' "" "load"
[ "$BASE_SECONDS" -gt 0 ] && printf ' %12s %8s' "1 client" "ratio"
echo
row() { # LABEL KEY
    printf '%-28s %12s' "$1" "$(fig load "$2")"
    if [ "$BASE_SECONDS" -gt 0 ]; then
        local a b
        a=$(fig load "$2") b=$(fig base "$2")
        printf ' %12s %8s' "$b" "$(python3 -c "import sys
a, b = float(sys.argv[1]), float(sys.argv[2])
print(f'{a / b:.2f}x' if b else '-')" "$a" "$b")"
    fi
    echo
}
row "clients" clients
row "wall seconds (with drain)" wall
row "sessions (logins)" sessions
row "files with results" files
row "client errors" errors
row "sessions/s" sessions_s
row "files/s" files_s
row "upload to ack p50 (s)" p50
row "upload to ack p99 (s)" p99
row "upload to ack max (s)" max
row "peak RSS sum (MB)" rss_mb
row "peak PSS sum (MB)" pss_mb
row "peak open fds (sum)" fds
row "peak processes" procs
row "jobs done" jobs
row "lost, duplicated, errors" lost_or_dup
if [ "$BASE_SECONDS" -gt 0 ]; then
    printf 'offsetgw ingest of the same file: %.2f s median (%s)' "$ingest_s" \
        "$(xargs printf '%.2f ' <"$OUT/load-ingest.times" | sed 's/ $//')"
    printf ': %.2f files/s; load files/s is %.2fx that\n' \
        "$(echo "1 / $ingest_s" | bc -l)" \
        "$(echo "$(fig load files_s) * $ingest_s" | bc -l)"
fi
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ $rc -ne 0 ]; then
    echo "bench/load.sh: LOST, DUPLICATED OR FAILED: see above" >&2
fi
exit $rc
