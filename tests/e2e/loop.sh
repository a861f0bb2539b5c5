#!/usr/bin/env bash
# tests/e2e/loop.sh - the whole loop through `offsetgw serve`, on a fixed
# day with fixed seeds: the demo agency uploads its debt file with
# OpenSSH's sftp; the cycle to the tax board; the tax board, played by
# `offsetgw sim` over SFTP, picks its file up and uploads its match and
# collection files; the month's reconciliation; the agency downloads
# everything it got back with sftp.  Every file the agency downloads and
# every file the tax board picked up is compared byte for byte with
# tests/data/sftp-loop/expected/ (OG_LOOP_UPDATE=1 rewrites them; read
# the diff before committing it).
set -u
OG=${OG:-./offsetgw}
expected=${OG_TEST_DATA:-tests/data}/sftp-loop/expected
dir=$(mktemp -d /tmp/og-e2e-loop-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
. "$(dirname "$0")/lib.sh"

home=$dir/gw
spool=$home/var/spool
key=$home/demo-keys/demo-agency
check "a demo home" $OG init --home "$home" --demo
check "an agency file" $OG synth --program caltrecs --records 40 \
    --bad-share 0.1 --seed 7 --agency-code DEMO1 --output "$dir/debts.txt"
$OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
    2>"$dir/serve.log" &
server=$!
check "serve listens" wait_for "$dir/port"
port=$(cat "$dir/port")
sftp_agency() {
    timeout 30 sftp "${ssh_opts[@]}" -i "$key" -P "$port" -b - \
        demo-agency@127.0.0.1
}

check "the agency uploads its file" sftp_agency <<EOF
put $dir/debts.txt /inbox/debts.txt
EOF
check "  it is taken in" wait_for "$spool/demo-agency/outbox/*.unp"
check "the cycle to the tax board" $OG cycle --home "$home" --to demo-taxboard
check "the tax board (offsetgw sim) answers over SFTP" $OG sim taxboard \
    --home "$dir/sim" --key "$home/demo-keys/demo-taxboard" \
    --server "127.0.0.1:$port" --seed 11
check "  the agency's match file comes" \
    wait_for "$spool/demo-agency/outbox/matches.*"
check "  and its collection file" \
    wait_for "$spool/demo-agency/outbox/collections.*"
check "the month's reconciliation" $OG reconcile --home "$home" \
    --period 2026-11 --agency demo-agency
mkdir -p "$dir/got/agency"
check "the agency downloads everything" sh -c "cd '$dir/got/agency' && \
    timeout 30 sftp ${ssh_opts[*]} -i '$key' -P $port -b - \
    demo-agency@127.0.0.1 <<EOF
get /outbox/*
EOF"
cp -r "$dir/sim/in" "$dir/got/taxboard"

# byte for byte
got=$(cd "$dir/got" && find . -type f | sort)
if [ "${OG_LOOP_UPDATE:-0}" = 1 ]; then
    rm -rf "$expected"
    mkdir -p "$expected"
    (cd "$dir/got" && cp -r . "$expected/")
fi
check "the files expected, and no others" \
    diff <(echo "$got") <(cd "$expected" && find . -type f | sort)
for f in $got; do
    check "$f is as expected" cmp "$dir/got/$f" "$expected/$f"
done
# and the same as the command line's loop (tests/cli/loop.sh) where the
# two loops are the same: the same agency file, the same day
cli=${OG_TEST_DATA:-tests/data}/loop/expected
for f in debts.txt.1.ack debts.txt.1.unp; do
    check "$f: the same bytes as offsetgw ingest's" cmp "$dir/got/agency/$f" \
        "$cli/demo-agency/outbox/$f"
done
check "the tax board's file: the same bytes as offsetgw cycle's" cmp \
    "$dir/got/taxboard/taxboard-debt.20261120.1.txt" \
    "$cli/demo-taxboard/outbox/taxboard-debt.20261120.1.txt"
stop_server() { kill -TERM "$server" && wait "$server"; }
check "SIGTERM stops the server" stop_server
server=

summary loop.sh
