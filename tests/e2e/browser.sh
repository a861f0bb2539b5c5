#!/usr/bin/env bash
# tests/e2e/browser.sh - the admin console in a real browser: Debian's
# chromium driven by playwright-core (tests/e2e/browser/, installed with
# `npm ci` into the scratch folder).  A demo agency's file goes up over
# SFTP; browser.mjs logs in through the form, finds the file on the
# dashboard and on its own page (name, SHA-256), checks the style sheet
# applies and that the console logged no CSP violation, logs out.
# No chromium or no npm is a failure, not a skip.  Screenshots go to
# $OG_SCREENSHOTS when set (docs/img/ holds the committed ones).
set -u
OG=${OG:-./offsetgw}
here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d /tmp/og-browser-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
. "$here/lib.sh"

home=$dir/gw
key=$home/demo-keys/demo-agency
shots=${OG_SCREENSHOTS:-$dir/shots}
mkdir -p "$shots"

check "chromium is installed" test -x "${CHROMIUM:-/usr/bin/chromium}"
check "node and npm are installed" sh -c "command -v node && command -v npm"
check "playwright-core from the lock file (npm ci)" sh -c "mkdir -p \
    '$dir/node' && cp '$here/browser/package.json' \
    '$here/browser/package-lock.json' '$here/browser/browser.mjs' \
    '$dir/node/' && cd '$dir/node' && npm ci --no-audit --no-fund \
    --loglevel=error"
check "a demo home and an admin" sh -c "$OG init --home '$home' --demo \
    >/dev/null && printf 'correct horse battery\n' | $OG admin add --home \
    '$home' alice"
check "an agency file" $OG synth --program caltrecs --records 60 \
    --bad-share 0.1 --seed 5 --agency-code DEMO1 --output "$dir/debts.txt"
$OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
    --admin-listen 127.0.0.1:0 --admin-port-file "$dir/aport" \
    --stop-grace 5 >"$dir/serve.log" 2>&1 &
server=$!
port=$(wait_port "$dir/port")
aport=$(wait_port "$dir/aport")
check "serve listens" test -n "$port" -a -n "$aport"
echo "put $dir/debts.txt /inbox/debts-december.txt" >"$dir/up.batch"
check "sftp put" timeout 30 sftp "${ssh_opts[@]}" -i "$key" -P "$port" \
    -b "$dir/up.batch" demo-agency@127.0.0.1
check "  taken in" wait_for \
    "$home/var/spool/demo-agency/outbox/debts-december.txt.1.ack"
sha=$(sha256sum "$dir/debts.txt" | cut -d' ' -f1)

browse() {
    (cd "$dir/node" && timeout 120 node browser.mjs \
        "https://127.0.0.1:$aport" alice 'correct horse battery' \
        debts-december.txt "$sha" "$shots")
}
browse >"$dir/browser.out" 2>&1
rc=$?
sed 's/^/    /' "$dir/browser.out"
check "the browser's checks ($(grep -c '^ok ' "$dir/browser.out") passed)" \
    test "$rc" -eq 0 -a "$(grep -c '^FAIL' "$dir/browser.out")" -eq 0 \
    -a "$(grep -c '^ok ' "$dir/browser.out")" -ge 10
check "the screenshots" test -s "$shots/console-dashboard.png" -a \
    -s "$shots/console-file.png"
kill -TERM "$server"
wait "$server"
server=
summary browser
