#!/usr/bin/env bash
# tests/e2e/sftp.sh - `offsetgw serve` driven by OpenSSH's own clients
# (sftp, scp, ssh) on a free loopback port:
#   - the demo agency uploads its debt file; the gateway queues and takes
#     it in; the acknowledgement and unprocessable file it downloads are
#     byte for byte those `offsetgw ingest` writes for the same file;
#   - an upload under a temporary name is taken once renamed, not before;
#   - the jail: escapes, other partners' folders, the gateway's own files,
#     a symlink planted in the spool, writes to the outbox, folders;
#   - authentication: an unlisted key, a disabled partner, passwords,
#     exec, and the defender banning an address after failed logins;
#   - a client killed mid-upload leaves nothing processed;
#   - the transfer log has it all and no full SSN; SIGTERM stops cleanly.
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-e2e-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
. "$(dirname "$0")/lib.sh"

home=$dir/gw
spool=$home/var/spool
start_server() { # extra serve options
    rm -f "$dir/port"
    $OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
        --stop-grace 5 "$@" >>"$dir/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        [ -s "$dir/port" ] && break
        sleep 0.1
    done
    port=$(cat "$dir/port" 2>/dev/null)
}
stop_server() {
    kill -TERM "$server"
    wait "$server"
    local rc=$?
    server=
    return $rc
}
sftp_as() { # PARTNER KEY BATCH
    timeout 30 sftp "${ssh_opts[@]}" -i "$2" -P "$port" -b "$3" \
        "$1@127.0.0.1"
}
key=$home/demo-keys/demo-agency

check "a demo home with keys" $OG init --home "$home" --demo
check "  the demo agency's key pair" test -s "$key" -a -s "$key.pub"
check "  its key is listed" sh -c "$OG partner key list --home '$home' \
    demo-agency | grep -q SHA256:"
check "an agency file" $OG synth --program caltrecs --records 40 \
    --bad-share 0.1 --seed 7 --agency-code DEMO1 --output "$dir/debts.txt"
start_server
check "serve listens" test -n "$port"

# --- an upload taken in, its results downloaded ---------------------------
cat >"$dir/up.batch" <<EOF
put $dir/debts.txt /inbox/debts.txt
EOF
check "sftp put" sftp_as demo-agency "$key" "$dir/up.batch"
check "  the upload left the inbox, queued" test -z "$(ls "$spool/demo-agency/inbox")"
check "  its results appear in the outbox" \
    wait_for "$spool/demo-agency/outbox/debts.txt.1.unp"
cat >"$dir/down.batch" <<EOF
ls -l /outbox
get /outbox/debts.txt.1.ack $dir/got.ack
get /outbox/debts.txt.1.unp $dir/got.unp
EOF
check "sftp get of the results" sftp_as demo-agency "$key" "$dir/down.batch"
# the same file through `offsetgw ingest` in a home of its own
# (its outputs are compared on disk: a plain spool)
check "the same file through offsetgw ingest" sh -c "$OG init --home \
    '$dir/ref' --demo --plain-spool >/dev/null && \
    $OG ingest --home '$dir/ref' \
    --partner demo-agency '$dir/debts.txt' >/dev/null; test \$? -eq 1"
check "  the acknowledgement is byte for byte the same" \
    cmp "$dir/got.ack" "$dir/ref/var/spool/demo-agency/outbox/debts.txt.1.ack"
check "  the unprocessable file too" \
    cmp "$dir/got.unp" "$dir/ref/var/spool/demo-agency/outbox/debts.txt.1.unp"
check "scp (SFTP mode) of the acknowledgement" timeout 30 scp "${ssh_opts[@]}" \
    -i "$key" -P "$port" "demo-agency@127.0.0.1:/outbox/debts.txt.1.ack" \
    "$dir/scp.ack"
check "  the same bytes" cmp "$dir/scp.ack" "$dir/got.ack"

# --- a temporary name ------------------------------------------------------
check "a second agency file" $OG synth --program caltrecs --records 5 \
    --seed 8 --agency-code DEMO1 --output "$dir/more.txt"
cat >"$dir/part.batch" <<EOF
put $dir/more.txt /inbox/more.txt.part
EOF
check "put under a temporary name" sftp_as demo-agency "$key" "$dir/part.batch"
sleep 0.5
check "  is not taken in" refused compgen -G "$spool/demo-agency/outbox/more.txt.*"
check "  and stays in the inbox" test -e "$spool/demo-agency/inbox/more.txt.part"
cat >"$dir/rename.batch" <<EOF
rename /inbox/more.txt.part /inbox/more.txt
EOF
check "renamed to its final name" sftp_as demo-agency "$key" "$dir/rename.batch"
check "  it is taken in" wait_for "$spool/demo-agency/outbox/more.txt.*.ack"

# --- the tax board, played over SFTP by offsetgw sim -------------------------
check "the cycle to the tax board" $OG cycle --home "$home" --to demo-taxboard
check "offsetgw sim taxboard answers it over SFTP" $OG sim taxboard \
    --home "$dir/sim" --key "$home/demo-keys/demo-taxboard" \
    --server "127.0.0.1:$port" --seed 5
check "  it picked the debt file up" sh -c "ls '$dir/sim/in' | grep -q \
    '^taxboard-debt\\.'"
check "  and removed it from its outbox" refused compgen -G \
    "$spool/demo-taxboard/outbox/taxboard-debt.*"
check "  the agency gets its match file" \
    wait_for "$spool/demo-agency/outbox/matches.*"
check "  and its collection file" \
    wait_for "$spool/demo-agency/outbox/collections.*"
check "  the host key was pinned" test -s "$dir/sim/host-key"
echo "SHA256:not-the-key" >"$dir/sim2-host-key"
mkdir -p "$dir/sim2" && cp "$dir/sim2-host-key" "$dir/sim2/host-key"
check "  a host key that is not the pinned one is refused" refused $OG sim \
    taxboard --home "$dir/sim2" --key "$home/demo-keys/demo-taxboard" \
    --server "127.0.0.1:$port"

# --- a payer, played over SFTP by offsetgw sim ------------------------------
check "a Kansas agency with debts" sh -c "$OG partner add --home '$home' \
    --kind agency --program kansas --agency-code KSA01 ks-city >/dev/null && \
    $OG synth --program kansas --records 30 --seed 3 --agency-code KSA01 \
    --output '$dir/ks.txt' 2>/dev/null && \
    $OG ingest --home '$home' --partner ks-city '$dir/ks.txt' >/dev/null"
check "a payer file that fits the registry" $OG synth payments \
    --program kansas --home "$home" --records 40 --debtor-share 0.5 \
    --seed 9 --payer-code KDOR --output "$dir/payments.txt"
check "offsetgw sim payer uploads it" $OG sim payer --home "$dir/simpay" \
    --key "$home/demo-keys/demo-payer" --server "127.0.0.1:$port" \
    --payments "$dir/payments.txt"
check "  the payer's offset instructions come" \
    wait_for "$spool/demo-payer/outbox/offsets.payments.txt.*"
check "  the agency's collections" wait_for "$spool/ks-city/outbox/collections.*"
check "  the next round picks the instructions up" $OG sim payer \
    --home "$dir/simpay" --key "$home/demo-keys/demo-payer" \
    --server "127.0.0.1:$port"
check "  they are in its folder" compgen -G "$dir/simpay/in/offsets.payments.txt.*"

# --- the jail ----------------------------------------------------------------
ln -s /etc/passwd "$spool/demo-agency/outbox/passwd"
ln -s "$spool/demo-taxboard/outbox" "$spool/demo-agency/outbox/theirs"
echo secret >"$spool/demo-taxboard/outbox/theirs.txt"
for cmd in "get /etc/passwd $dir/x" "get /../../etc/passwd $dir/x" \
    "get /outbox/../../var/offsetgw.db $dir/x" "ls /demo-taxboard" \
    "get /outbox/passwd $dir/x" "get /outbox/theirs/theirs.txt $dir/x" \
    "ls /outbox/.tmp" "put $dir/debts.txt /outbox/x.txt" \
    "put $dir/debts.txt /x.txt" "mkdir /inbox/sub" "rmdir /inbox" \
    "symlink /etc/passwd /inbox/l" "ln /outbox/debts.txt.1.ack /inbox/h" \
    "get /inbox/more.txt $dir/x" "rename /outbox/debts.txt.1.ack /inbox/a"; do
    printf '%s\n' "$cmd" >"$dir/jail.batch"
    check "refused: $cmd" refused sftp_as demo-agency "$key" "$dir/jail.batch"
done
check "  nothing left the spool" test ! -e "$dir/x"
printf 'ls -la /\nls -la /outbox\n' >"$dir/ls.batch"
check "listings show /inbox and /outbox only" sh -c "sftp_as() { timeout 30 \
    sftp ${ssh_opts[*]} -i '$key' -P $port -b '$dir/ls.batch' \
    demo-agency@127.0.0.1; }; sftp_as > '$dir/ls.out' 2>&1 && \
    ! grep -Eq 'offsetgw.db|\\.tmp|demo-taxboard|var' '$dir/ls.out'"

# --- authentication -----------------------------------------------------------
ssh-keygen -q -N '' -t ed25519 -f "$dir/stranger"
printf 'ls /\n' >"$dir/ls1.batch"
check "an unlisted key is refused" refused sftp_as demo-agency \
    "$dir/stranger" "$dir/ls1.batch"
check "another partner's key is refused" refused sftp_as demo-agency \
    "$home/demo-keys/demo-taxboard" "$dir/ls1.batch"
for kind in "ecdsa -b 256" "ecdsa -b 521" "rsa -b 3072"; do
    name=$(echo "$kind" | tr -d ' -')
    ssh-keygen -q -N '' -t $kind -f "$dir/$name"
    check "an $kind key, once listed, logs in" sh -c "$OG partner key add \
        --home '$home' demo-agency '$dir/$name.pub' >/dev/null && \
        timeout 30 sftp ${ssh_opts[*]} -i '$dir/$name' -P $port \
        -b '$dir/ls1.batch' demo-agency@127.0.0.1"
done
check "passwords are refused" refused timeout 20 sftp "${ssh_opts[@]}" \
    -o PreferredAuthentications=password,keyboard-interactive \
    -P "$port" -b "$dir/ls1.batch" demo-agency@127.0.0.1
check "exec is refused" refused timeout 20 ssh "${ssh_opts[@]}" -i "$key" \
    -p "$port" demo-agency@127.0.0.1 cat /etc/passwd
check "a shell is refused" refused timeout 20 ssh "${ssh_opts[@]}" -tt \
    -i "$key" -p "$port" demo-agency@127.0.0.1
check "remote port forwarding is refused" refused timeout 20 ssh \
    "${ssh_opts[@]}" -o ExitOnForwardFailure=yes -N -R 127.0.0.1:0:127.0.0.1:22 \
    -i "$key" -p "$port" demo-agency@127.0.0.1
check "agent and X11 forwarding get no session either" refused timeout 20 \
    ssh "${ssh_opts[@]}" -A -X -i "$key" -p "$port" demo-agency@127.0.0.1 true
check "disable the demo agency" $OG partner disable --home "$home" demo-agency
check "a disabled partner cannot log in" refused sftp_as demo-agency "$key" \
    "$dir/ls1.batch"
check "enable it again" $OG partner enable --home "$home" demo-agency
check "  it can" sftp_as demo-agency "$key" "$dir/ls1.batch"

# --- a client killed mid-upload ---------------------------------------------------
head -c 20000000 /dev/zero >"$dir/big.txt"
printf 'put %s /inbox/big.txt\n' "$dir/big.txt" >"$dir/big.batch"
# at 1 MB/s (-l in Kbit/s): still uploading when it is killed
sftp "${ssh_opts[@]}" -l 8000 -i "$key" -P "$port" -b "$dir/big.batch" \
    demo-agency@127.0.0.1 >/dev/null 2>&1 &
client=$!
for _ in $(seq 100); do
    [ -e "$spool/demo-agency/inbox/big.txt" ] && break
    sleep 0.05
done
sleep 0.2
disown "$client" # no "Killed" from the shell
kill -9 "$client"
while kill -0 "$client" 2>/dev/null; do sleep 0.05; done
sleep 1
check "an upload cut off is not queued" test -e "$spool/demo-agency/inbox/big.txt"
check "  nor taken in" refused compgen -G "$spool/demo-agency/outbox/big.txt.*"
check "  the log has it as cut off" sh -c "$OG transfers --home '$home' \
    --failed | grep -q ' cut .*/inbox/big.txt'"

# --- the logs ---------------------------------------------------------------------
check "the transfer log has the upload and its job" sh -c "$OG transfers \
    --home '$home' --partner demo-agency | grep -q 'job 1 done: file 1'"
check "the transfer log as JSON" sh -c "$OG transfers --home '$home' --json \
    | head -1 | grep -q '\"partner\":\"demo-agency\"'"
grep '^D' "$dir/debts.txt" | cut -c24-32 | grep -E '^[0-9]{9}$' >"$dir/ssns"
check "the agency file has SSNs" test -s "$dir/ssns"
check "no full SSN in the server's log" refused grep -F -f "$dir/ssns" \
    "$dir/serve.log"
check "nor in the transfer log" sh -c "$OG transfers --home '$home' --json \
    | grep -v -F -f '$dir/ssns' | wc -l | grep -qx \"\$($OG transfers \
    --home '$home' --json | wc -l)\""
check "status shows the queue" sh -c "$OG status --home '$home' | \
    grep -q 'queue: 0 queued, 0 running, 5 done'"
check "  and the server, running" sh -c "$OG status --home '$home' | \
    grep -q 'serve: running, pid $server'"

# --- the defender --------------------------------------------------------------
check "SIGTERM stops the server cleanly" stop_server

# --- a scheduled cycle, run by serve's worker ------------------------------------
check "more debts for the tax board" sh -c "$OG synth --program caltrecs \
    --records 3 --seed 21 --agency-code DEMO1 --output '$dir/later.txt' && \
    $OG ingest --home '$home' --partner demo-agency '$dir/later.txt'"
check "schedule the tax board's cycle daily at 00:00" $OG partner schedule \
    --home "$home" demo-taxboard --daily 00:00
check "  the partner list says so" sh -c "$OG partner list --home '$home' | \
    grep -q 'demo-taxboard.*cycle daily at 00:00 UTC'"
check "a time that is none is refused" refused $OG partner schedule \
    --home "$home" demo-taxboard --daily 24:00
start_server --ban-after 3 --ban-window 60 --ban-time 30
check "the worker runs the cycle on its own" \
    wait_for "$spool/demo-taxboard/outbox/taxboard-debt.*"
check "  and logs it" grep -q "event=cycle partner=demo-taxboard" \
    "$dir/serve.log"
for i in 1 2 3; do
    sftp_as demo-agency "$dir/stranger" "$dir/ls1.batch" >/dev/null 2>&1
done
sleep 0.5
check "after 3 failed logins the address is refused, even a good key" \
    refused sftp_as demo-agency "$key" "$dir/ls1.batch"
check "  the server says why" grep -q "event=refused address=127.0.0.1 reason=\"banned after failed logins\"" \
    "$dir/serve.log"
check "SIGTERM stops it again" stop_server

# --- sessions per address ------------------------------------------------------
start_server --max-per-address 2
holders=()
for _ in 1 2; do # two sessions held open by an sftp that waits on stdin
    (sleep 4 | ssh "${ssh_opts[@]}" -i "$key" -p "$port" -s \
        demo-agency@127.0.0.1 sftp >/dev/null 2>&1) &
    holders+=($!)
done
sleep 1.5
check "status lists the two sessions" sh -c "$OG status --home '$home' | \
    grep -q 'serve: running, pid [0-9]*, 2 sessions'"
check "a third session from the same address is refused" refused \
    sftp_as demo-agency "$key" "$dir/ls1.batch"
check "  the server says why" grep -q "event=refused .*reason=\"too many sessions from it\"" \
    "$dir/serve.log"
wait "${holders[@]}" 2>/dev/null
sleep 0.5
check "  once they end, a session is let in" \
    sftp_as demo-agency "$key" "$dir/ls1.batch"
check "SIGTERM stops it a third time" stop_server
check "status says it is not running" sh -c "$OG status --home '$home' | \
    grep -q 'serve: not running'"
start_server --max-sessions 1
(sleep 3 | ssh "${ssh_opts[@]}" -i "$key" -p "$port" -s \
    demo-agency@127.0.0.1 sftp >/dev/null 2>&1) &
holder=$!
sleep 1.2
check "past --max-sessions, a session is refused" refused \
    sftp_as demo-agency "$key" "$dir/ls1.batch"
check "  the server says why" grep -q "event=refused .*reason=\"too many sessions\"$" \
    "$dir/serve.log"
wait "$holder" 2>/dev/null
check "SIGTERM stops it again" stop_server

# --- timeouts ----------------------------------------------------------------------
start_server --idle-timeout 1 --login-grace 1
idle_start=$(date +%s)
ssh "${ssh_opts[@]}" -i "$key" -p "$port" -s demo-agency@127.0.0.1 sftp \
    < <(sleep 5) >/dev/null 2>&1 &
idler=$!
while kill -0 "$idler" 2>/dev/null; do sleep 0.1; done
idle_took=$(($(date +%s) - idle_start))
check "an idle session is closed ($idle_took s, under the 5 s it would wait)" \
    test "$idle_took" -lt 5
exec 3<>"/dev/tcp/127.0.0.1/$port"
IFS= read -r -t 2 banner <&3
sleep 2 # say nothing after the banner: past the login grace
IFS= read -r -t 2 line <&3
grace_rc=$? # 1: the server closed it; over 128: still open
exec 3<&-
check "a connection that does not log in is closed after the grace" \
    test "$grace_rc" -eq 1
check "  the banner was SSH" test "${banner#SSH-2.0-}" != "$banner"
check "SIGTERM stops it a fourth time" stop_server

# --- SIGTERM lets a running upload finish --------------------------------------------
start_server --stop-grace 10
check "an agency file for a slow upload" $OG synth --program caltrecs \
    --records 8000 --seed 31 --agency-code DEMO1 --output "$dir/slow.txt"
printf 'put %s /inbox/slow.txt\n' "$dir/slow.txt" >"$dir/slow.batch"
# about 2 MB at 1 MB/s: still running when the server is told to stop
sftp "${ssh_opts[@]}" -l 8000 -i "$key" -P "$port" -b "$dir/slow.batch" \
    demo-agency@127.0.0.1 >"$dir/slow.out" 2>&1 &
client=$!
sleep 0.7
kill -TERM "$server"
wait "$client"
slow_rc=$?
wait "$server"
stop_rc=$?
server=
check "the upload running at SIGTERM finished (sftp exit 0)" test "$slow_rc" -eq 0
check "  the server then stopped cleanly" test "$stop_rc" -eq 0
check "  and no new session was taken meanwhile" grep -q \
    "event=stopping sessions=1 grace_s=10" "$dir/serve.log"
start_server
check "after a restart it is taken in, once" \
    wait_for "$spool/demo-agency/outbox/slow.txt.*.ack"
check "SIGTERM stops it a fifth time" stop_server

# --- retention --------------------------------------------------------------------
check "keep the demo agency's files 2 days" $OG partner retention \
    --home "$home" demo-agency --days 2
touch -d '3 days ago' "$spool/demo-agency/outbox/debts.txt.1.ack"
old_upload=$(ls "$spool"/demo-agency/received/*.debts.txt | head -n 1)
touch -d '3 days ago' "$old_upload"
check "a dry run lists what would go" sh -c "$OG purge --home '$home' \
    --dry-run | grep -q 'would purge 2 files'"
check "  and removes nothing" test -e "$spool/demo-agency/outbox/debts.txt.1.ack"
check "purge removes the old ack and the old upload" sh -c "$OG purge \
    --home '$home' | grep -q 'purged 2 files'"
check "  gone" refused test -e "$spool/demo-agency/outbox/debts.txt.1.ack"
check "  the upload too" refused test -e "$old_upload"
check "  the newer results stay" compgen -G "$spool/demo-agency/outbox/*.unp"

# --- the audit trail ---------------------------------------------------------------
check "the worker verified the audit trail at its start" grep -q \
    "event=audit-verify ok=1" "$dir/serve.log"
check "the audit trail is intact" $OG audit verify --home "$home"
$OG audit list --home "$home" --limit 100000 >"$dir/audit.txt"
for action in login login-failed file-received file-processed \
    file-downloaded file-removed key-add partner-disable partner-enable \
    partner-schedule partner-retention file-purged audit-verify; do
    check "  it has $action" grep -q " $action " "$dir/audit.txt"
done
check "  and no full SSN" refused grep -F -f "$dir/ssns" "$dir/audit.txt"
/usr/bin/python3 - "$home/var/offsetgw.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("DROP TRIGGER audit_no_update")
db.execute("UPDATE audit SET detail = 'nothing to see' WHERE seq = 3")
db.commit()
PY
check "a row edited behind its back breaks the chain (exit 1)" sh -c \
    "$OG audit verify --home '$home'; test \$? -eq 1"
check "  at that row" sh -c "$OG audit verify --home '$home' | \
    grep -q 'BROKEN at row 3'"

summary sftp.sh
