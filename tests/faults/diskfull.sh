#!/usr/bin/env bash
# tests/faults/diskfull.sh - a disk that fills during an upload: the
# client gets an error status, the gateway goes on serving other
# sessions, and nothing of the half-written file is taken in (no job, no
# outputs, nothing in received/).  demo-agency's inbox is a 1 MiB tmpfs;
# a 3 MiB upload fills it, in an encrypted and in a plain spool; and a
# file past --max-file-size is refused whole.  Needs to mount a tmpfs (root with
# CAP_SYS_ADMIN, as in CI): skipped, saying so, where it cannot.
# (Outputs on a full disk are tests/faults/walk.sh's write -> ENOSPC.)
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-diskfull-XXXXXX)
server= mnt=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null;
    [ -n "$mnt" ] && umount "$mnt"; rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
. "$(dirname "$0")/../e2e/lib.sh"

home=$dir/gw
spool=$home/var/spool
check "a demo home" $OG init --home "$home" --demo
# the agency's whole spool folder on the small disk (its inbox,
# received/ and outbox: an upload is handed on by a rename within it)
part=$spool/demo-agency
inbox=$part/inbox
if ! mount -t tmpfs -o size=1m,mode=0700 tmpfs "$part" 2>"$dir/mount.err"; then
    echo "diskfull.sh: SKIP, cannot mount a tmpfs: $(cat "$dir/mount.err")"
    exit 77
fi
mnt=$part
mkdir -m 0700 "$part/inbox" "$part/received" "$part/outbox" "$part/outbox/.tmp"
check "a 3 MiB agency file" $OG synth --program caltrecs --records 12000 \
    --seed 5 --agency-code DEMO1 --output "$dir/big.txt"
check "  bigger than the inbox's disk" test "$(stat -c %s "$dir/big.txt")" \
    -gt 2000000
$OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
    --admin-listen off >"$dir/serve.log" 2>&1 &
server=$!
port=$(wait_port "$dir/port")
check "serve listens" test -n "$port"
as() { # PARTNER, batch on stdin
    timeout 60 sftp "${ssh_opts[@]}" -i "$home/demo-keys/$1" -P "$port" \
        -b - "$1@127.0.0.1"
}

check "the upload that fills the disk fails" refused as demo-agency <<B
put $dir/big.txt /inbox/big.txt
B
cp "$dir/out" "$dir/said"
check "  the client was told (a failure status)" grep -qiE \
    'failure|no space|write' "$dir/said"
check "  the server logged it" grep -qE \
    'event=(upload|error).*big.txt.*(status=[1-9]|space|ENOSPC)' \
    "$dir/serve.log"
check "another partner's session goes on" as demo-payer <<B
put $dir/port /inbox/hello.part
ls -l /inbox
B
check "  its file arrived whole" sh -c "$OG keys cat --home '$home' \
    '$spool/demo-payer/inbox/hello.part' | cmp - '$dir/port'"
check "the agency itself can still log in and list" as demo-agency <<B
ls -l /outbox
B
sleep 1
# (transfers --json: one object per line)
check "nothing of the big file was queued" sh -c "$OG transfers --home \
    '$home' --json | jq -s -e 'map(select(.path == \"/inbox/big.txt\")) | \
    length == 1 and all(.[]; .job == 0 and (.complete | not))'"
check "  nothing in received/" test -z "$(ls "$spool/demo-agency/received")"
check "  no outputs for it" test -z "$(ls "$spool/demo-agency/outbox" |
    grep big)"
check "  the queue is empty" sh -c "$OG status --home '$home' | grep -qiE \
    '^queue: 0 queued, 0 running'"

# the same in a home whose spool is plain (pwrite, not the sealing
# writer): a failed write fails the upload all the same
stop() { kill -TERM "$server" && wait "$server"; }
check "SIGTERM stops serve" stop
server=
check "the spool made plain" $OG init --home "$home" --plain-spool
rm -f "$inbox"/* 2>/dev/null
$OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port2" \
    --admin-listen off >>"$dir/serve.log" 2>&1 &
server=$!
port=$(wait_port "$dir/port2")
check "plain: the upload that fills the disk fails" refused as demo-agency <<B
put $dir/big.txt /inbox/big2.txt
B
# a write past --max-file-size is refused, and so is the upload
check "SIGTERM stops serve" stop
rm -f "$inbox"/* 2>/dev/null
$OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port3" \
    --admin-listen off --max-file-size 100000 >>"$dir/serve.log" 2>&1 &
server=$!
port=$(wait_port "$dir/port3")
check "a file past --max-file-size is refused" refused as demo-agency <<B
put $dir/big.txt /inbox/big3.txt
B
sleep 1
check "neither upload was queued or answered" sh -c "$OG transfers --home \
    '$home' --json | jq -s -e 'map(select(.path | test(\"big[23]\"))) | \
    length == 2 and all(.[]; .job == 0 and (.complete | not))' && test -z \
    \"\$(ls '$spool/demo-agency/outbox' | grep big)\""
check "  nor logged complete" refused grep -qE \
    'event=upload.*big[23].txt.*complete=1' "$dir/serve.log"
check "  the queue is still empty" sh -c "$OG status --home '$home' | \
    grep -qE '^queue: 0 queued, 0 running, 0 done'"
summary diskfull
