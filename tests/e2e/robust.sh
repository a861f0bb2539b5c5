#!/usr/bin/env bash
# tests/e2e/robust.sh - `offsetgw serve` under load and killed:
#   - many OpenSSH sftp clients at once (one connection each, all the
#     demo agency's, serve with --max-per-address 64), each uploading
#     small agency files of distinct seeds and names: every file is taken
#     in exactly once (one job, one acknowledgement naming its SHA-256),
#     the queue ends with every job done and none failed;
#   - kill -9 of the whole server (its process group: the parent, the
#     connection processes and the pipeline worker) at random moments,
#     during uploads (throttled, so some are cut off) and during the
#     processing of a full queue, then serve again: every upload its
#     client was told succeeded is processed exactly once, an upload
#     whose client was told nothing is processed at most once and only
#     whole (the acknowledgement's SHA-256 is the whole file's), an upload
#     cut off stays in the inbox and is never processed.
#
# Load: ROBUST_CLIENTS (50) clients x ROBUST_FILES (8) files of 5
# records.  The brief was 50 x 20 = 1000 files; measured on 2 cores
# (this part alone):
#                         making the files  uploads  all processed (from the start)
#   1000 files, plain            8 s           1 s       4 s
#   1000 files, ASan            25 s           4 s      17 s
# `offsetgw synth` costs ~25 ms a file under ASan (its start-up), so the
# 1000 take ~45 s in the ASan build, over the ~30 s budget for this
# script.  So 50 x 8 = 400 by default, the files made in the background
# while the kills go on (mostly waiting): the whole script takes ~16 s
# plain, ~24 s ASan (50 x 12: 18 s, 30 s).  ROBUST_FILES=20 runs the
# 1000: scripts/test does so in its plain build.
# The kills: ROBUST_ROUNDS (4) rounds, alternately during uploads (6
# clients, 4 files of 330 KB each, throttled) and during processing (6
# clients, 4 files of 750 KB each, queued while the worker is stopped,
# killed while it works the queue off: the whole server, or every fourth
# round the worker alone, which serve starts again).  ROBUST_SEED fixes the random
# timings; it is printed for a rerun.
set -u
OG=${OG:-./offsetgw}
clients=${ROBUST_CLIENTS:-50}
files=${ROBUST_FILES:-8}
rounds=${ROBUST_ROUNDS:-4}
seed=${ROBUST_SEED:-$$}
RANDOM=$seed
dir=$(mktemp -d /tmp/og-robust-XXXXXX)
server=
trap '[ -n "$server" ] && kill -9 -- -"$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
. "$(dirname "$0")/lib.sh"
echo "robust.sh: ROBUST_SEED=$seed, $clients clients x $files files, $rounds rounds"

# serve HOME in a process group of its own (server = its id), on a free
# port
start_server() { # HOME
    rm -f "$dir/port"
    # no admin console: worker_of takes serve's only child for the worker
    setsid $OG serve --home "$1" --listen 127.0.0.1:0 --port-file \
        "$dir/port" --max-per-address 64 --stop-grace 5 \
        --admin-listen off >>"$dir/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        [ -s "$dir/port" ] && break
        sleep 0.1
    done
    port=$(cat "$dir/port" 2>/dev/null)
    [ -n "$port" ] && [ "$(cut -d' ' -f5 "/proc/$server/stat")" = "$server" ]
}
# is any process of group PGID alive (not a zombie)?
group_alive() {
    local f
    for f in /proc/[0-9]*/stat; do
        read -r _ _ state _ pgrp _ <"$f" 2>/dev/null || continue
        [ "$pgrp" = "$1" ] && [ "$state" != Z ] && return 0
    done
    return 1
}
# the pipeline worker of the server: before any connection, its only
# child
worker_of() { # SERVER
    local f pid state ppid found=
    for f in /proc/[0-9]*/stat; do
        read -r pid _ state ppid _ <"$f" 2>/dev/null || continue
        [ "$ppid" = "$1" ] && [ "$state" != Z ] && found="$found $pid"
    done
    [ "$(echo $found | wc -w)" -eq 1 ] && echo $found
}
# SIGSTOP the server's worker (into $worker) at a moment it holds no
# lock on the registry (it polls the queue with a write): a writer must
# get in at once, else stopped again later
stop_worker() { # HOME
    local i
    worker=$(worker_of "$server") || return 1
    for i in 1 2 3 4 5 6 7 8 9 10; do
        kill -STOP "$worker"
        /usr/bin/python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=0.5, isolation_level=None)
db.execute("BEGIN IMMEDIATE")
db.execute("ROLLBACK")' "$1/var/offsetgw.db" && return 0
        kill -CONT "$worker"
        sleep 0.1
    done
    return 1
}
kill_server() { # kill -9 the whole group, wait until it is gone
    kill -9 -- -"$server"
    wait "$server" 2>/dev/null
    for _ in $(seq 50); do
        group_alive "$server" || break
        sleep 0.1
    done
    refused group_alive "$server"
    local rc=$?
    server=
    return $rc
}
stop_server() {
    kill -TERM "$server"
    wait "$server"
    local rc=$?
    server=
    return $rc
}
queue_idle() { # HOME
    for _ in $(seq 300); do
        $OG status --home "$1" | grep -q 'queue: 0 queued, 0 running' &&
            return 0
        sleep 0.1
    done
    return 1
}
sha() { sha256sum <"$1" | cut -d' ' -f1; }
synth() { # FILE SEED RECORDS
    $OG synth --program caltrecs --records "$3" --seed "$2" \
        --agency-code DEMO1 --output "$1" >/dev/null 2>&1
}
# The acknowledgements in outbox OUT of every file in list LIST (lines
# "NAME LOCAL_FILE OUTCOME"): each NAME's count into $dir/acks (lines
# "NAME COUNT SHA_OK": SHA_OK 1 when every one names LOCAL_FILE's SHA-256)
count_acks() { # OUT LIST
    local name local outcome n ok a
    : >"$dir/acks"
    while read -r name local outcome; do
        n=0 ok=1
        for a in "$1/$name".*.ack; do
            [ -e "$a" ] || continue
            n=$((n + 1))
            # encrypted at rest: read through the home's key
            $OG keys cat --home "$home" "$a" | grep -q "$(sha "$local")" ||
                ok=0
        done
        echo "$name $n $ok $outcome" >>"$dir/acks"
    done <"$2"
}
# no line of $dir/acks matches awk condition COND (else they are shown)
none() { # COND
    awk "$1" "$dir/acks" | head
    [ -z "$(awk "$1" "$dir/acks")" ]
}

# --- the files for the load, made while the kills go on ------------------
mkdir "$dir/files" "$dir/loadfiles"
make_load_files() {
    local c f name
    for c in $(seq "$clients"); do
        for f in $(seq "$files"); do
            name=c$c-f$f.txt
            synth "$dir/loadfiles/$name" $((c * 1000 + f)) 5
            printf 'put %s /inbox/%s\n' "$dir/loadfiles/$name" "$name"
        done >"$dir/c$c.batch"
    done
    sed -n 's|^put \([^ ]*\) /inbox/\(.*\)$|\2 \1 ok|p' "$dir"/c*.batch \
        >"$dir/load.list"
}
make_load_files &
making=$!

# --- kill -9 at random moments ------------------------------------------------
home=$dir/kill
spool=$home/var/spool/demo-agency
check "a demo home for the kills" $OG init --home "$home" --demo
key=$home/demo-keys/demo-agency
: >"$dir/kill.list"
# a client uploading its four files of round R, one connection each;
# lines "NAME FILE ok|failed" as they are told
client() { # R C [SFTP_OPTION...]
    local f name r=$1 c=$2
    shift 2
    for f in 1 2 3 4; do
        name=r$r-c$c-f$f.txt
        if timeout 60 sftp "${ssh_opts[@]}" "$@" -i "$key" -P "$port" \
            -b - demo-agency@127.0.0.1 >/dev/null 2>&1 \
            <<<"put $dir/files/$name /inbox/$name"; then
            echo "$name $dir/files/$name ok"
        else
            echo "$name $dir/files/$name failed"
        fi
    done >"$dir/r$r-c$c.list"
}
# the same over one connection: all four ok, or all failed
client_batch() { # R C
    local f outcome=failed
    for f in 1 2 3 4; do
        echo "put $dir/files/r$1-c$2-f$f.txt /inbox/r$1-c$2-f$f.txt"
    done >"$dir/r$1-c$2.batch"
    timeout 60 sftp "${ssh_opts[@]}" -i "$key" -P "$port" \
        -b "$dir/r$1-c$2.batch" demo-agency@127.0.0.1 >/dev/null 2>&1 &&
        outcome=ok
    for f in 1 2 3 4; do
        echo "r$1-c$2-f$f.txt $dir/files/r$1-c$2-f$f.txt $outcome"
    done >"$dir/r$1-c$2.list"
}
sleep_ms() { sleep "$(($1 / 1000)).$(printf %03d $(($1 % 1000)))"; }
# wait (at most 30 s) until COMMAND prints a number >= N
wait_count() { # N COMMAND...
    local n=$1
    shift
    for _ in $(seq 3000); do
        [ "$("$@")" -ge "$n" ] && return 0
        sleep 0.01
    done
    return 1
}
told_ok() { cat "$dir"/r$r-c*.list 2>/dev/null | grep -c ' ok$'; }
acks_of_round() { find "$spool/outbox" -name "r$r-*.ack" | wc -l; }
for r in $(seq "$rounds"); do
    t0=$SECONDS
    # during uploads: 1300 records (330 KB) a file, sent at 2000 Kbit/s
    # (sftp -l sends the first 256 KB at once, the rest slowly: ~1 s);
    # during processing 3000 (750 KB, 40-100 ms of work each)
    records=$((r % 2 ? 1300 : 3000))
    for c in 1 2 3 4 5 6; do
        for f in 1 2 3 4; do
            synth "$dir/files/r$r-c$c-f$f.txt" $((r * 100 + c * 10 + f)) \
                $records
        done
    done
    check "round $r: serve" start_server "$home"
    pids=()
    if [ $((r % 2)) -eq 1 ]; then
        # the clients start 0.2 s apart, so that some are always sending
        for c in 1 2 3 4 5 6; do
            (sleep_ms $(((c - 1) * 200)) && client "$r" "$c" -l 2000) &
            pids+=($!)
        done
        # killed once K (1-3) uploads were told ok, and 0.3-0.6 s later
        k=$((1 + RANDOM % 3)) ms=$((300 + RANDOM % 300))
        when="after $k uploads told ok + $ms ms"
        wait_count "$k" told_ok
        sleep_ms "$ms"
        ls "$spool/inbox" | grep "^r$r-" >"$dir/inflight"
        check "round $r: kill -9 during uploads, $when" kill_server
        check "  uploads were under way" test -s "$dir/inflight"
        wait "${pids[@]}"
    else
        # the uploads queued while the worker is stopped (SIGSTOP), then
        # it goes on
        check "round $r: the worker stopped" stop_worker "$home"
        for c in 1 2 3 4 5 6; do
            client_batch "$r" "$c" &
            pids+=($!)
        done
        wait "${pids[@]}"
        check "round $r: all uploads told ok" refused grep -q ' failed$' \
            "$dir"/r$r-c*.list
        check "  all queued" sh -c "$OG status --home '$home' | \
            grep -q 'queue: 24 queued, 0 running'"
        check "  the worker goes on" kill -CONT "$worker"
        # killed once K (1-12) files were processed, and up to 50 ms later
        k=$((1 + RANDOM % 12)) ms=$((RANDOM % 50))
        when="after $k files processed + $ms ms"
        wait_count "$k" acks_of_round
        sleep_ms "$ms"
        $OG status --home "$home" >"$dir/status"
        if [ $((r % 4)) -eq 0 ]; then
            # the worker alone: serve starts another, which takes the
            # job it was running up again
            when="$when, the worker alone"
            worker_only=1
            check "round $r: kill -9 of the worker during processing, $when" \
                kill -9 "$worker"
        else
            check "round $r: kill -9 during processing, $when" kill_server
        fi
        check "  work was left" refused grep -q 'queue: 0 queued, 0 running' \
            "$dir/status"
    fi
    cat "$dir"/r$r-c*.list >>"$dir/kill.list"
    if [ -n "${worker_only:-}" ]; then
        check "round $r: serve, still up, starts a worker again" sh -c \
            "for i in \$(seq 100); do w=\$(cat /proc/[0-9]*/stat 2>/dev/null |
            awk '\$4 == $server && \$3 != \"Z\" {print \$1}'); [ -n \"\$w\" ] &&
            [ \"\$w\" != $worker ] && exit 0; sleep 0.1; done; exit 1"
    else
        check "round $r: serve again" start_server "$home"
    fi
    worker_only=
    check "  the queue is worked off" queue_idle "$home"
    check "  SIGTERM stops it" stop_server
    echo "# round $r ($((SECONDS - t0)) s), killed $when:" \
        "$(cat "$dir"/r$r-c*.list | grep -c ' ok$') uploads told ok," \
        "$(cat "$dir"/r$r-c*.list | grep -c ' failed$') not;" \
        "$(head -1 "$dir/status" 2>/dev/null || echo "$(wc -l <"$dir/inflight") in flight")"
    rm -f "$dir/status" "$dir/inflight"
done
count_acks "$spool/outbox" "$dir/kill.list"
check "every upload told ok was processed exactly once" \
    none '$4 == "ok" && $2 != 1'
check "every other at most once" none '$2 > 1'
check "  and whole: each acknowledgement names the whole file's SHA-256" \
    none '$3 != 1'
check "some uploads were told ok" grep -q ' ok$' "$dir/kill.list"
check "some were not" grep -q ' failed$' "$dir/kill.list"
# the uploads cut off: left in the inbox, never processed; most shorter
# than the file sent (the rest were whole but not closed)
cut_off=0
for f in "$spool"/inbox/*; do
    [ -e "$f" ] || continue
    name=$(basename "$f")
    check "  $name, cut off, was never processed" refused compgen -G \
        "$spool/outbox/$name.*"
    [ "$(stat -c %s "$f")" -lt "$(stat -c %s "$dir/files/$name")" ] &&
        cut_off=$((cut_off + 1))
done
check "some uploads were cut off" test "$cut_off" -gt 0
check "no job failed, none is left" sh -c "$OG status --home '$home' | \
    grep -q 'queue: 0 queued, 0 running, [0-9]* done, 0 failed'"
check "  one job done per acknowledgement" sh -c "$OG status --home '$home' \
    | grep -q 'queue: 0 queued, 0 running, $(find "$spool/outbox" -name \
    '*.ack' | wc -l) done'"
recovered_runs=$(grep -c 'event=recover' "$dir/serve.log")
# the counts scripts/soak adds up: uploads told ok, files processed
# (acknowledged), acknowledgements delivered, lost (told ok, never
# acknowledged), duplicated (acknowledged twice)
echo "# counts: completed $(awk '$4 == "ok"' "$dir/acks" | wc -l)" \
    "processed $(awk '$2 >= 1' "$dir/acks" | wc -l)" \
    "delivered $(awk '{s += $2} END {print s + 0}' "$dir/acks")" \
    "lost $(awk '$4 == "ok" && $2 == 0' "$dir/acks" | wc -l)" \
    "duplicated $(awk '$2 > 1' "$dir/acks" | wc -l)"
echo "# kills: $(grep -c ' ok$' "$dir/kill.list") uploads told ok," \
    "$(grep -c ' failed$' "$dir/kill.list") not, $cut_off cut off;" \
    "$recovered_runs restarts recovered jobs"

# --- many clients at once -------------------------------------------------
home=$dir/load
spool=$home/var/spool/demo-agency
check "a demo home for the load" $OG init --home "$home" --demo
key=$home/demo-keys/demo-agency
wait "$making"
n=$((clients * files))
check "$n agency files, all different" test "$(sha256sum "$dir"/loadfiles/* |
    cut -d' ' -f1 | sort -u | wc -l)" -eq "$n"
t1=$SECONDS
check "serve" start_server "$home"
pids=()
for c in $(seq "$clients"); do
    timeout 120 sftp "${ssh_opts[@]}" -i "$key" -P "$port" -b "$dir/c$c.batch" \
        demo-agency@127.0.0.1 >"$dir/c$c.out" 2>&1 &
    pids+=($!)
done
ok=0
for p in "${pids[@]}"; do
    wait "$p" && ok=$((ok + 1))
done
t2=$SECONDS
check "all $clients clients at once uploaded all their files" test "$ok" -eq \
    "$clients"
check "  the queue is worked off" queue_idle "$home"
t3=$SECONDS
check "  $n done, none failed" sh -c "$OG status --home '$home' | \
    grep -q 'queue: 0 queued, 0 running, $n done, 0 failed'"
count_acks "$spool/outbox" "$dir/load.list"
check "  every file has one acknowledgement" none '$2 != 1'
check "  naming its SHA-256" none '$3 != 1'
check "  and no other acknowledgement is there" test \
    "$(find "$spool/outbox" -name '*.ack' | wc -l)" -eq "$n"
check "  the log has each upload once, complete" sh -c "$OG transfers \
    --home '$home' --json | jq -r 'select(.kind == \"upload\" and \
    .complete) | .path' | sort | uniq -u | wc -l | grep -qx $n"
check "  the inbox is empty" test -z "$(ls "$spool/inbox")"
check "SIGTERM stops it" stop_server
echo "# load: $n files made (during the kills), uploaded by $clients" \
    "clients in $((t2 - t1)) s, all processed $((t3 - t1)) s after the start"

summary robust.sh
