#!/usr/bin/env bash
# tests/e2e/ops.sh - operating the gateway: `serve --log-format json`
# writes one JSON object per line (every line parses with jq, each has an
# event, no full SSN in any); `offsetgw backup` taken while an ingest runs
# in another process gives a 0600 file that sqlite finds intact, holds
# all of the file's debts or none (one snapshot), and whose audit chain
# verifies in a home made of it and the keys.
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-e2e-ops-XXXXXX)
server=
ingest=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null;
    [ -n "$ingest" ] && kill "$ingest" 2>/dev/null; wait 2>/dev/null;
    rm -rf "$dir"' EXIT
. "$(dirname "$0")/lib.sh"

home=$dir/gw
key=$home/demo-keys/demo-agency
check "a demo home" $OG init --home "$home" --demo
check "a small agency file" $OG synth --program caltrecs --records 20 \
    --seed 3 --agency-code DEMO1 --output "$dir/small.txt"

# --- JSON logs -----------------------------------------------------------------
check "--log-format takes kv or json only" refused $OG serve --home "$home" \
    --log-format xml
$OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
    --admin-listen 127.0.0.1:0 --admin-port-file "$dir/aport" \
    --log-format json --stop-grace 5 2>"$dir/serve.log" &
server=$!
port=$(wait_port "$dir/port")
check "serve listens" test -n "$port"
echo "put $dir/small.txt /inbox/small.txt" >"$dir/put.batch"
sftp_as() { # KEY BATCH
    timeout 30 sftp "${ssh_opts[@]}" -i "$1" -P "$port" -b "$2" \
        demo-agency@127.0.0.1
}
check "the agency uploads a file" sftp_as "$key" "$dir/put.batch"
check "  it is taken in" wait_for "$home/var/spool/demo-agency/outbox/*.ack"
ssh-keygen -q -t ed25519 -N '' -f "$dir/stranger"
sftp_as "$dir/stranger" "$dir/put.batch" >/dev/null 2>&1
# the connection's process logs the refusal as it ends: wait for it
check "a wrong key's login is logged" sh -c "for i in \$(seq 100); do \
    grep '\"event\":\"login\"' '$dir/serve.log' | grep -q '\"ok\":0' && \
    exit 0; sleep 0.1; done; exit 1"
check "the console is up" test -s "$dir/aport"
kill "$server"
wait "$server"
stop_rc=$?
server=
check "serve stops cleanly" test "$stop_rc" -eq 0
check "the log has lines" test "$(wc -l <"$dir/serve.log")" -ge 8
check "every line is a JSON object with an event" sh -c "jq -R -c \
    'fromjson | type == \"object\" and (.event | type == \"string\")' \
    '$dir/serve.log' >'$dir/parsed' && ! grep -qvx true '$dir/parsed' && \
    test \$(wc -l <'$dir/parsed') -eq \$(wc -l <'$dir/serve.log')"
for ev in start listen console-start upload login stopping stop; do
    check "  an event=$ev line" sh -c "jq -R -c 'fromjson | \
        select(.event == \"$ev\")' '$dir/serve.log' | grep -q ."
done
check "  numbers are numbers" sh -c "jq -R 'fromjson | \
    select(.event == \"listen\") | .port | numbers' '$dir/serve.log' | \
    grep -qE '^[0-9]+$'"
grep '^D' "$dir/small.txt" | cut -c24-32 | grep -E '^[0-9]{9}$' >"$dir/ssns"
check "the file has SSNs" test -s "$dir/ssns"
check "no full SSN in the log" refused grep -F -f "$dir/ssns" "$dir/serve.log"

# --- a backup while an ingest runs ----------------------------------------------
n=${OPS_RECORDS:-150000}
check "a big agency file ($n records)" $OG synth --program caltrecs \
    --records "$n" --seed 9 --agency-code DEMO1 --output "$dir/big.txt"
debts_in() { # DB: the number of debts in it
    python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
print(c.execute("select count(*) from debts").fetchone()[0])' "$1"
}
intact() { # DB
    python3 -c 'import sqlite3, sys
c = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
sys.exit(c.execute("pragma integrity_check").fetchone()[0] != "ok")' "$1"
}
before=$(debts_in "$home/var/offsetgw.db")
$OG ingest --home "$home" --partner demo-agency "$dir/big.txt" \
    >"$dir/ingest.out" 2>&1 &
ingest=$!
during=0
for _ in $(seq 200); do
    $OG backup --home "$home" --output "$dir/during.db" >"$dir/backup.out" \
        2>&1 || {
        cat "$dir/backup.out"
        break
    }
    kill -0 "$ingest" 2>/dev/null || break
    during=$((during + 1))
    cp -p "$dir/during.db" "$dir/mid.db"
    [ "$during" -ge 3 ] && break
    sleep 0.05
done
check "backups were taken while the ingest ran ($during)" test "$during" -ge 1
wait "$ingest"
rc=$?
ingest=
check "the ingest finished (exit 0 or 1)" test "$rc" -le 1
after=$(debts_in "$home/var/offsetgw.db")
check "  and added debts ($before -> $after)" test "$after" -gt "$before"
check "the mid-ingest copy is 0600" sh -c "stat -c %a '$dir/mid.db' | \
    grep -qx 600"
check "  sqlite finds it intact" intact "$dir/mid.db"
mid=$(debts_in "$dir/mid.db")
check "  it holds all of the file or none ($mid of $before/$after)" \
    test "$mid" -eq "$before" -o "$mid" -eq "$after"
check "  no journal or temporary file beside it" refused sh -c "ls '$dir' | \
    grep -q 'during.db[.-]'"
check "a home made of the copy and the keys" sh -c "mkdir -p \
    '$dir/restored/var' && cp -a '$home/keys' '$dir/restored/' && \
    cp '$dir/mid.db' '$dir/restored/var/offsetgw.db'"
check "  its audit chain verifies" $OG audit verify --home "$dir/restored"
check "  status reads it" $OG status --home "$dir/restored"
check "a backup after the ingest" $OG backup --home "$home" \
    --output "$dir/after.db"
check "  holds every debt" test "$(debts_in "$dir/after.db")" -eq "$after"
check "  and is in the audit trail" sh -c "$OG audit list --home '$home' | \
    grep -q 'backup.*after.db'"
check "a backup onto the registry itself is refused" refused $OG backup \
    --home "$home" --output "$home/var/offsetgw.db"
ln -s "$home/var/offsetgw.db" "$dir/link.db"
check "  and through a link to it too" refused $OG backup --home "$home" \
    --output "$dir/link.db"
check "  the registry is still whole" sh -c "$OG status --home '$home' \
    >/dev/null"
check "  a backup needs --output" refused $OG backup --home "$home"
touch "$dir/stale.db.tmp"
check "  a leftover FILE.tmp is refused, not overwritten" refused $OG backup \
    --home "$home" --output "$dir/stale.db"
summary ops
