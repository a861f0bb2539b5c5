#!/usr/bin/env bash
# tests/e2e/atrest.sh - spool files encrypted at rest, seen from outside:
#   - an upload over OpenSSH sftp lands in received/ encrypted, and every
#     output in the outbox is too: the OGAEAD magic, no SSN or name of the
#     upload on disk; the partner downloads plain files, byte for byte
#     those `offsetgw ingest` writes in a plain home; the transfer log's
#     SHA-256 is the plaintext's;
#   - files under another home's key: a download fails, saying why; an
#     upload is kept and reported unreadable; another keys/master.key
#     stops the gateway from starting (the registry's SSN keys do not
#     open), and with the key back all reads again;
#   - a truncated outbox file is refused on download, and logged damaged;
#   - `offsetgw keys rotate`: refused while serving; after it downloads
#     still work and the old key opens nothing.
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-atrest-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
. "$(dirname "$0")/lib.sh"

home=$dir/gw
spool=$home/var/spool
out=$spool/demo-agency/outbox
start_server() {
    rm -f "$dir/port"
    $OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
        --stop-grace 5 >>"$dir/serve.log" 2>&1 &
    server=$!
    port=$(wait_port "$dir/port")
}
stop_server() {
    kill -TERM "$server"
    wait "$server"
    local rc=$?
    server=
    return $rc
}
key=$home/demo-keys/demo-agency
sftp_agency() { # batch on stdin
    timeout 30 sftp "${ssh_opts[@]}" -i "$key" -P "$port" -b - \
        demo-agency@127.0.0.1
}
magic() { [ "$(head -c 6 "$1")" = OGAEAD ]; }
# FILE holds none of the upload's SSNs or names
clean_of_upload() { ! grep -a -q -F -f "$dir/secrets" "$1"; }
# what the previous check's command printed holds TEXT
said() { grep -q "$1" "$dir/said"; }
keep() { cp "$dir/out" "$dir/said"; }

check "a demo home" $OG init --home "$home" --demo
check "  with a master key, 0600" test "$(stat -c %a "$home/keys/master.key")" = 600
check "keys show prints the master key's id, not the key" sh -c "$OG keys \
    show --home '$home' | grep -Eq '^[0-9a-f]{16} master-key '"
check "an agency file" $OG synth --program caltrecs --records 40 \
    --bad-share 0.1 --seed 7 --agency-code DEMO1 --output "$dir/debts.txt"
grep '^D' "$dir/debts.txt" | cut -c24-32 | grep -E '^[0-9]{9}$' >"$dir/secrets"
grep '^D' "$dir/debts.txt" | cut -c33-57 | awk 'length($1) >= 5 { print $1 }' |
    sort -u >>"$dir/secrets"
check "  it has SSNs and names to look for" test "$(wc -l <"$dir/secrets")" -gt 40
# the same file through `offsetgw ingest` in a plain home: the expectation
check "a plain reference home" sh -c "$OG init --home '$dir/ref' --demo \
    --plain-spool >/dev/null && $OG ingest --home \
    '$dir/ref' --partner demo-agency '$dir/debts.txt' >/dev/null; test \$? -eq 1"
start_server
check "serve listens" test -n "$port"

# --- what is on disk ----------------------------------------------------------
check "sftp put" sftp_agency <<EOF
put $dir/debts.txt /inbox/debts.txt
EOF
check "  its results appear" wait_for "$out/debts.txt.1.unp"
received=$(ls "$spool"/demo-agency/received/*.debts.txt)
check "the upload in received/ is encrypted" magic "$received"
check "  and holds no SSN or name of it" clean_of_upload "$received"
check "  keys cat gives it back whole" sh -c "$OG keys cat --home '$home' \
    '$received' | cmp - '$dir/debts.txt'"
n=0
for f in "$out"/* "$out"/.tmp/*; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    check "outbox file ${f##*/} is encrypted" magic "$f"
    check "  and holds no SSN or name of the upload" clean_of_upload "$f"
done
check "the outbox had files to look at" test "$n" -ge 2
plain_sha=$(sha256sum "$dir/debts.txt" | cut -d' ' -f1)
check "the transfer log's SHA-256 is the plaintext's" sh -c "$OG transfers \
    --home '$home' --json | grep '\"kind\":\"upload\"' | grep -q '$plain_sha'"
check "the registry's too" sh -c "sqlite3 '$home/var/offsetgw.db' \
    'select sha256 from files' | grep -qx '$plain_sha'"

# --- what the partner sees ----------------------------------------------------
mkdir "$dir/got"
check "sftp ls shows the plaintext sizes" sh -c "sftp_ls() { timeout 30 sftp \
    ${ssh_opts[*]} -i '$key' -P $port -b - demo-agency@127.0.0.1; }; echo \
    'ls -l /outbox' | sftp_ls | grep 'debts.txt.1.ack' | awk '{print \$5}' | \
    grep -qx \$(stat -c %s '$dir/ref/var/spool/demo-agency/outbox/debts.txt.1.ack')"
check "the partner downloads its results" sftp_agency <<EOF
get /outbox/debts.txt.1.ack $dir/got/ack
get /outbox/debts.txt.1.unp $dir/got/unp
EOF
check "  the acknowledgement, byte for byte as ingest writes it" \
    cmp "$dir/got/ack" "$dir/ref/var/spool/demo-agency/outbox/debts.txt.1.ack"
check "  the unprocessable file too" \
    cmp "$dir/got/unp" "$dir/ref/var/spool/demo-agency/outbox/debts.txt.1.unp"

# --- another master key ----------------------------------------------------------
# files sealed under another home's key (a restore mixed up, a copy from
# elsewhere): a download refused, saying why; an upload kept, reported
check "another home, with a key of its own" sh -c "$OG init --home \
    '$dir/other' --demo >/dev/null && $OG ingest --home '$dir/other' \
    --partner demo-agency '$dir/debts.txt' >/dev/null; test \$? -eq 1"
cp "$dir/other/var/spool/demo-agency/outbox/debts.txt.1.ack" "$out/foreign.ack"
check "a file under another key: its download fails" refused sftp_agency <<EOF
get /outbox/foreign.ack $dir/got/wrong
EOF
keep
# OpenSSH's sftp prints the status code only; the message sent with it
# is the one the server logs
check "  at its open" said 'remote open "/outbox/foreign.ack": Failure'
check "  and nothing garbled is left" test ! -s "$dir/got/wrong"
check "  the server says why" grep -q "event=error what=download \
partner=demo-agency path=/outbox/foreign.ack reason=\"the file does not \
open with the gateway's master key" "$dir/serve.log"
check "SIGTERM stops serve" stop_server
# an upload sealed under the other key (any of its files will do), in
# received/ with no job naming it (as after a stop), found at start
cp "$dir/other/var/spool/demo-agency/outbox/debts.txt.1.unp" \
    "$spool/demo-agency/received/1.late.txt"
start_server
check "  the worker says it cannot read it" sh -c "for i in \$(seq 100); do \
    $OG audit list --home '$home' | grep -q 'file-failed.*late.txt.*another \
master key' && exit 0; sleep 0.2; done; exit 1"
check "  nothing came of it" test -z "$(ls "$out"/late.txt.* 2>/dev/null)"
check "  and it is kept" test -n "$(ls "$spool"/demo-agency/received/*.late.txt)"
check "SIGTERM stops serve" stop_server
# the home's own key replaced: the registry's SSN keys do not open, so
# the gateway does not start at all (nothing is read or written)
cp -p "$home/keys/master.key" "$dir/right.key"
head -c 32 /dev/urandom >"$home/keys/master.key"
check "with another keys/master.key serve refuses to start" refused \
    timeout 20 $OG serve --home "$home" --listen 127.0.0.1:0
keep
check "  saying the key is wrong" said "wrong or rotated keys/master.key"
check "  and so does ingest" refused $OG ingest --home "$home" \
    --partner demo-agency "$dir/debts.txt"
cp -p "$dir/right.key" "$home/keys/master.key"
rm -f "$out/foreign.ack"
start_server
check "the key back: downloads work again" sftp_agency <<EOF
get /outbox/debts.txt.1.ack $dir/got/ack2
EOF
check "  the same bytes" cmp "$dir/got/ack2" "$dir/got/ack"

# --- a damaged file -----------------------------------------------------------
cp -p "$out/debts.txt.1.unp" "$dir/unp.saved"
truncate -s -100 "$out/debts.txt.1.unp"
check "a truncated outbox file is refused on download" refused sftp_agency <<EOF
get /outbox/debts.txt.1.unp $dir/got/cut
EOF
keep
check "  at its open" said 'remote open "/outbox/debts.txt.1.unp": Failure'
check "  logged as damaged" grep -q \
    "event=error what=download .*debts.txt.1.unp reason=\"the file is damaged" \
    "$dir/serve.log"
check "  nothing of it served" test ! -s "$dir/got/cut"
cp -p "$dir/unp.saved" "$out/debts.txt.1.unp"

# --- rotation -------------------------------------------------------------------
check "keys rotate is refused while serving" refused $OG keys rotate --home "$home"
keep
check "  saying why" said "stop it first"
check "SIGTERM stops serve" stop_server
# the home's key lock (keys/master.lock): any command holds it shared,
# keys rotate alone
flock -s "$home/keys/master.lock" sleep 3 &
holder=$!
sleep 0.3
check "keys rotate is refused while a command uses the home" refused \
    $OG keys rotate --home "$home"
keep
check "  saying why" said "stop it first"
wait "$holder"
flock -x "$home/keys/master.lock" sleep 3 &
holder=$!
sleep 0.3
check "a command is refused while a rotation runs" refused \
    $OG status --home "$home"
keep
check "  saying why" said "rotation is running"
wait "$holder"
old_id=$($OG keys show --home "$home" | sed -n 's/ master-key .*//p')
check "keys rotate" $OG keys rotate --home "$home"
keep
check "  re-wrapped the files" said "[1-9][0-9]* files re-wrapped"
check "  and left the one under the other home's key, saying so" \
    said "1 files are under a master key this home never held"
check "  a new master key" sh -c "$OG keys show --home '$home' | \
    grep ' master-key ' | grep -vq '^$old_id '"
check "  the old one removed" test -z "$(ls "$home/keys" | grep old)"
check "  audited" sh -c "$OG audit list --home '$home' | grep -q keys-rotate"
check "  the audit chain holds" $OG audit verify --home "$home"
mkdir -p "$dir/oldhome/keys"
cp -p "$dir/right.key" "$dir/oldhome/keys/master.key"
check "the old key opens no outbox file" refused $OG keys cat \
    --home "$dir/oldhome" "$out/debts.txt.1.ack"
keep
check "  saying so" said "encrypted under another master key"
check "  nor the upload kept" refused $OG keys cat --home "$dir/oldhome" \
    "$received"
start_server
check "after the rotation downloads still work" sftp_agency <<EOF
get /outbox/debts.txt.1.unp $dir/got/unp3
EOF
check "  the same bytes" cmp "$dir/got/unp3" "$dir/got/unp"
check "SIGTERM stops serve" stop_server
summary atrest.sh
