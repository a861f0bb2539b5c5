#!/usr/bin/env bash
# tests/e2e/console.sh - the HTTPS admin console of `offsetgw serve`,
# driven with curl and openssl on free loopback ports:
#   - TLS 1.1 refused, 1.2 and 1.3 taken; init's self-signed pair;
#   - without a session, pages redirect to /login and /api/ answers 401;
#   - a login sets the cookie Secure, HttpOnly, SameSite=Strict, Path=/;
#     5 wrong passwords lock the account, the right one included;
#   - a POST without or with a wrong CSRF token is 403 and changes
#     nothing; with it, disable/enable shows in `partner list` and in the
#     audit trail as admin:NAME, and the chain stays intact;
#   - the dashboard and the file's page show the file uploaded over SFTP
#     (its name, its SHA-256 as sha256sum prints it), the API too;
#   - the security headers on every response, and no SSN of the file in
#     any page or API answer;
#   - logout ends the session; a console killed comes back, SFTP unharmed.
set -u
OG=${OG:-./offsetgw}
dir=$(mktemp -d /tmp/og-console-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
. "$(dirname "$0")/lib.sh"

home=$dir/gw
spool=$home/var/spool
key=$home/demo-keys/demo-agency
mkdir -p "$dir/h" "$dir/b"

# req NAME METHOD PATH [curl options...]: headers into h/NAME, body into
# b/NAME; prints the status
req() {
    local name=$1 method=$2 path=$3
    shift 3
    curl -sk --max-time 20 -b "$dir/jar" -c "$dir/jar" -X "$method" \
        -D "$dir/h/$name" -o "$dir/b/$name" -w '%{http_code}' "$@" \
        "https://127.0.0.1:$aport$path"
}
status_is() { # WANT NAME METHOD PATH [options]
    local want=$1
    shift
    local got
    got=$(req "$@")
    [ "$got" = "$want" ] || {
        echo "$2 $3: status $got, wanted $want"
        head -c 400 "$dir/b/$1"
        return 1
    }
}
csrf_of() { # NAME: the token in a page's forms
    grep -o 'name="csrf" value="[0-9a-f]*"' "$dir/b/$1" | head -1 |
        sed 's/.*value="\([0-9a-f]*\)"/\1/'
}
partner_enabled() { # NAME yes|no
    $OG partner list --home "$home" | grep -E "^$1[[:space:]]" |
        grep -q "$([ "$2" = yes ] && echo enabled || echo disabled)"
}

check "a demo home" $OG init --home "$home" --demo
check "  init made the console's pair, the key 0600" sh -c "test -s \
    '$home/keys/console.crt' && test \"\$(stat -c %a \
    '$home/keys/console.key')\" = 600"
check "  its certificate names localhost and 127.0.0.1" sh -c "openssl x509 \
    -in '$home/keys/console.crt' -noout -text |
    grep -q 'DNS:localhost, IP Address:127.0.0.1'"
crt_sum=$(sha256sum "$home/keys/console.crt")
check "  init again keeps it" sh -c "$OG init --home '$home' >/dev/null && \
    test \"\$(sha256sum '$home/keys/console.crt')\" = '$crt_sum'"
check "admins alice and bob" sh -c "printf 'correct horse battery\n' | \
    $OG admin add --home '$home' alice && printf 'tr0ub4dor and 3\n' | \
    $OG admin add --home '$home' bob"
check "an agency file" $OG synth --program caltrecs --records 40 \
    --bad-share 0.1 --seed 11 --agency-code DEMO1 --output "$dir/debts.txt"
$OG parse --layout "$OG_FORMATS/layouts/caltrecs/agency-debt.xml" \
    "$dir/debts.txt" 2>/dev/null | jq -r '.fields.tin // empty' |
    grep -E '^[0-9]{9}$' | sort -u >"$dir/ssns"
check "  its SSNs listed" test "$(wc -l <"$dir/ssns")" -ge 30

$OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
    --admin-listen 127.0.0.1:0 --admin-port-file "$dir/aport" \
    --stop-grace 5 >"$dir/serve.log" 2>&1 &
server=$!
port=$(wait_port "$dir/port")
aport=$(wait_port "$dir/aport")
check "serve listens: SFTP and the console" test -n "$port" -a -n "$aport"

# --- the upload -------------------------------------------------------------
echo "put $dir/debts.txt /inbox/debts-nov.txt" >"$dir/up.batch"
sftp_put() {
    timeout 30 sftp "${ssh_opts[@]}" -i "$key" -P "$port" -b "$dir/up.batch" \
        demo-agency@127.0.0.1
}
check "sftp put" sftp_put
check "  taken in" wait_for "$spool/demo-agency/outbox/debts-nov.txt.1.ack"
sha=$(sha256sum "$dir/debts.txt" | cut -d' ' -f1)

# --- TLS ----------------------------------------------------------------------
tls() { # -tls1_1 | -tls1_2 | -tls1_3
    echo | timeout 10 openssl s_client -connect "127.0.0.1:$aport" "$1" \
        -cipher 'DEFAULT:@SECLEVEL=0' >"$dir/tls.out" 2>&1
}
check "TLS 1.1 refused" refused tls -tls1_1
check "TLS 1.2 taken" sh -c "echo | timeout 10 openssl s_client -connect \
    127.0.0.1:$aport -tls1_2 2>&1 | grep -q 'Protocol *: TLSv1.2'"
check "TLS 1.3 taken" sh -c "echo | timeout 10 openssl s_client -connect \
    127.0.0.1:$aport -tls1_3 2>&1 | grep -q 'TLSv1.3'"

# --- no session -----------------------------------------------------------
check "without a session: / redirects to /login" sh -c "test \
    \"\$(curl -sk -o /dev/null -w '%{http_code} %{redirect_url}' \
    https://127.0.0.1:$aport/)\" = '303 https://127.0.0.1:$aport/login'"
check "  /files/1 too" status_is 303 anon-file GET /files/1
check "  /api/dashboard is 401" status_is 401 anon-api GET /api/dashboard
check "  a POST is refused, nothing changes" sh -c "test \"\$(curl -sk -o \
    /dev/null -w '%{http_code}' -d name=demo-payer \
    https://127.0.0.1:$aport/partners/disable)\" = 303"
check "  demo-payer still enabled" partner_enabled demo-payer yes
check "  a forged cookie is no session" status_is 401 forged GET \
    /api/partners -H "Cookie: __Host-ogsid=$(printf '%064d' 0)"
check "the login page" status_is 200 login-page GET /login

# --- logins -----------------------------------------------------------------
check "a wrong password: 401" status_is 401 login-bad POST /login \
    --data-urlencode name=alice --data-urlencode password=wrong-password
check "the right one: 303 to /" status_is 303 login POST /login \
    --data-urlencode name=alice \
    --data-urlencode 'password=correct horse battery'
check "  the cookie is Secure; HttpOnly; SameSite=Strict; Path=/" sh -c "grep \
    -i '^set-cookie: __Host-ogsid=[0-9a-f]\{64\}; Secure; HttpOnly; \
SameSite=Strict; Path=/' '$dir/h/login'"
check "  a login from another origin is refused" status_is 403 login-origin \
    POST /login -H 'Origin: https://evil.example' \
    --data-urlencode name=alice \
    --data-urlencode 'password=correct horse battery'
check "  so is one a browser says is cross-site" status_is 403 login-site \
    POST /login -H 'Sec-Fetch-Site: cross-site' -H 'Origin: null' \
    --data-urlencode name=alice \
    --data-urlencode 'password=correct horse battery'
for i in 1 2 3 4 5; do
    curl -sk -o /dev/null -D "$dir/h/bob$i" --data-urlencode name=bob \
        --data-urlencode password=not-his-password \
        "https://127.0.0.1:$aport/login"
done
check "bob: 5 wrong passwords, then the right one is refused (locked)" \
    sh -c "curl -sk -o '$dir/b/bob-locked' -D '$dir/h/bob-locked' -w \
    '%{http_code}' --data-urlencode name=bob --data-urlencode \
    'password=tr0ub4dor and 3' https://127.0.0.1:$aport/login | grep -qx 403 \
    && grep -q locked '$dir/b/bob-locked' && ! grep -qi set-cookie \
    '$dir/h/bob-locked'"

# --- pages ------------------------------------------------------------------
check "the dashboard" status_is 200 dashboard GET /
check "  shows the uploaded file" grep -q 'debts-nov.txt' "$dir/b/dashboard"
check "  and the audit check" grep -q 'Audit chain' "$dir/b/dashboard"
check "  a chart, no inline script or style" sh -c "grep -q \
    '<svg class=\"chart\"' '$dir/b/dashboard' && ! grep -qiE \
    '<script|style=' '$dir/b/dashboard'"
file_id=$(grep -o '<a href="/files/[0-9]*">debts-nov.txt' "$dir/b/dashboard" |
    head -1 | sed 's/[^0-9]*\([0-9]*\).*/\1/')
check "  links the file" test -n "$file_id"
check "the file's page" status_is 200 file GET "/files/$file_id"
check "  its name and SHA-256 as sha256sum prints it" sh -c "grep -q \
    'debts-nov.txt' '$dir/b/file' && grep -q '$sha' '$dir/b/file'"
check "  its outputs (acknowledgement)" grep -q 'debts-nov.txt.1.ack' \
    "$dir/b/file"
check "  its rejected records by code" sh -c "grep -q 'Rejected records by code' \
    '$dir/b/file' && grep -qE '<td class=\"code\">[CE]_' '$dir/b/file'"
check "  a file that is not there: 404" status_is 404 nofile GET /files/999999
check "  a hostile id: 400" status_is 400 badfile GET \
    "/files/1%27%20OR%201=1"
check "the transfers page, filtered" status_is 200 transfers GET \
    "/transfers?partner=demo-agency&status=ok&day=$(date -u +%F)"
check "  shows the upload" grep -q 'debts-nov.txt' "$dir/b/transfers"
check "  a bad day: 400" status_is 400 transfers-bad GET \
    "/transfers?day=2026-02-30"
check "  a bad page: 400" status_is 400 transfers-page GET \
    "/transfers?page=-1"
check "  an unknown partner: 400" status_is 400 transfers-who GET \
    "/transfers?partner=nobody"
check "the partners page" status_is 200 partners GET /partners
check "  lists keys by fingerprint" grep -q 'SHA256:' "$dir/b/partners"
check "the audit page" status_is 200 audit GET /audit
check "  shows the console login" grep -q 'console-login' "$dir/b/audit"
check "  page 2 of it" status_is 200 audit2 GET "/audit?page=2"
check "the style sheet" status_is 200 css GET /static/console.css

# --- the API ------------------------------------------------------------------
check "/api/dashboard" status_is 200 api-dash GET /api/dashboard
check "  JSON with the file and its SHA-256" sh -c "jq -e --arg s '$sha' \
    '.recent_files | map(select(.name == \"debts-nov.txt\" and .sha256 == \
    \$s)) | length == 1' '$dir/b/api-dash'"
check "/api/files/ID" status_is 200 api-file GET "/api/files/$file_id"
check "  the file, its records and outputs" sh -c "jq -e '.file.records > 0 \
    and (.outputs | length) >= 1' '$dir/b/api-file'"
check "  its rejects by code add up to its rejected count" sh -c "jq -e \
    '.file.rejected > 0 and ([.rejects[].records] | add) == .file.rejected \
    and all(.rejects[]; .code | test(\"^[CE]_[A-Z_]+$\"))' '$dir/b/api-file'"
check "/api/transfers" status_is 200 api-transfers GET \
    "/api/transfers?partner=demo-agency"
check "  the upload" sh -c "jq -e '.transfers | map(select(.kind == \
    \"upload\")) | length >= 1' '$dir/b/api-transfers'"
check "/api/partners" status_is 200 api-partners GET /api/partners
check "/api/audit" status_is 200 api-audit GET "/api/audit?page=1"
check "  rows newest first" sh -c "jq -e '.rows[0].seq > .rows[1].seq' \
    '$dir/b/api-audit'"

# --- CSRF and state changes ---------------------------------------------------
token=$(csrf_of partners)
check "a CSRF token on the partners page" test ${#token} -eq 64
check "disable without the token: 403" status_is 403 nocsrf POST \
    /partners/disable --data-urlencode name=demo-payer
check "  with a wrong token: 403" status_is 403 badcsrf POST \
    /partners/disable --data-urlencode name=demo-payer \
    --data-urlencode "csrf=$(printf '%064d' 7)"
check "  with bob's token shape but garbage: 403" status_is 403 badcsrf2 \
    POST /api/partners/disable -H 'X-CSRF-Token: <script>' \
    --data-urlencode name=demo-payer
check "  nothing changed" partner_enabled demo-payer yes
check "disable with the token: 303" status_is 303 disable POST \
    /partners/disable --data-urlencode name=demo-payer \
    --data-urlencode "csrf=$token"
check "  partner list says disabled" partner_enabled demo-payer no
check "enable through the API, token in a header: 200" status_is 200 enable \
    POST /api/partners/enable -H "X-CSRF-Token: $token" \
    --data-urlencode name=demo-payer
check "  partner list says enabled" partner_enabled demo-payer yes
check "  an unknown partner: 404" status_is 404 enable-who POST \
    /api/partners/enable -H "X-CSRF-Token: $token" \
    --data-urlencode name=nobody
check "a GET never changes state" sh -c "curl -sk -b '$dir/jar' -o /dev/null \
    'https://127.0.0.1:$aport/partners/disable?name=demo-payer'; \
    $OG partner list --home '$home' | grep -E '^demo-payer' | grep -q enabled"
check "audit: the disable and enable by admin:alice" sh -c "$OG audit list \
    --home '$home' >'$dir/audit.txt' && grep 'admin:alice' '$dir/audit.txt' \
    | grep -q 'partner-disable' && grep 'admin:alice' '$dir/audit.txt' | \
    grep -q 'partner-enable'"
check "  console-login and console-login-failed" sh -c "grep -q \
    'console-login ' '$dir/audit.txt' && grep 'admin:bob' '$dir/audit.txt' \
    | grep -q console-login-failed"

# --- headers and SSNs on every response ----------------------------------------
headers_ok() {
    local f bad=0
    for f in "$dir"/h/*; do
        for hdr in "Content-Security-Policy: default-src 'none'; script-src \
'self'; style-src 'self'" 'X-Frame-Options: DENY' \
            'Strict-Transport-Security: max-age=' \
            'X-Content-Type-Options: nosniff' 'Referrer-Policy: no-referrer' \
            'Cache-Control: no-store'; do
            grep -qiF "$hdr" "$f" || {
                echo "$(basename "$f"): no $hdr"
                bad=1
            }
        done
    done
    return $bad
}
check "the security headers on all $(ls "$dir/h" | wc -l) responses" headers_ok
check "no SSN of the file in any page or API answer" sh -c "! cat \
    '$dir'/b/* | grep -F -f '$dir/ssns'"

# --- logout, a console fault ---------------------------------------------------
check "logout with the token: 303 to /login" status_is 303 logout POST \
    /logout --data-urlencode "csrf=$token"
check "  the session is gone" sh -c "curl -sk -o /dev/null -w '%{http_code}' \
    -H 'Cookie: $(grep -o '__Host-ogsid=[0-9a-f]*' "$dir/h/login")' \
    https://127.0.0.1:$aport/api/dashboard | grep -qx 401"
check "  audited" sh -c "$OG audit list --home '$home' | grep -q \
    console-logout"
cpid=$(sed -n 's/.*event=console-start pid=\([0-9]*\).*/\1/p' \
    "$dir/serve.log" | tail -1)
check "the console killed (pid $cpid)" kill -KILL "$cpid"
check "  SFTP goes on" sh -c "echo 'ls /outbox' >'$dir/ls.batch' && timeout \
    30 sftp ${ssh_opts[*]} -i '$key' -P $port -b '$dir/ls.batch' \
    demo-agency@127.0.0.1"
check "  the console comes back" sh -c "for i in \$(seq 50); do curl -sk -o \
    /dev/null https://127.0.0.1:$aport/login && exit 0; sleep 0.2; done; \
    exit 1"

# --- client-certificate login ---------------------------------------------------
# cert_login NAME CERT-OPTIONS...: POST /login/cert with a client
# certificate (or none); prints the status
cert_login() {
    local name=$1
    shift
    curl -sk --max-time 20 -X POST -D "$dir/h/$name" -o "$dir/b/$name" \
        -w '%{http_code}' "$@" "https://127.0.0.1:$aport/login/cert"
}
mkcert() { # NAME: a self-signed client certificate and key
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 30 -subj "/CN=$1" -keyout "$dir/$1.key" -out "$dir/$1.crt" \
        2>/dev/null
}
check "three client certificates made" sh -c "$(declare -f mkcert); \
    dir='$dir' mkcert alice-cert && dir='$dir' mkcert bob-cert && \
    dir='$dir' mkcert stranger"
check "admin cert registers alice's" sh -c "$OG admin cert --home '$home' \
    alice '$dir/alice-cert.crt' | grep -qi \"\$(openssl x509 -in \
    '$dir/alice-cert.crt' -noout -fingerprint -sha256 | sed \
    's/.*=//; s/://g')\""
check "  the same certificate for bob is refused (exit 1)" sh -c "$OG admin \
    cert --home '$home' bob '$dir/alice-cert.crt'; test \$? -eq 1"
check "  bob (locked above) gets his own" $OG admin cert --home "$home" bob \
    "$dir/bob-cert.crt"
check "  admin list shows it" sh -c "$OG admin list --home '$home' | grep \
    '^alice ' | grep -q SHA256:"
check "  not a certificate: refused, naming the file" sh -c "! $OG admin \
    cert --home '$home' alice '$dir/alice-cert.key' 2>'$dir/err' && grep -q \
    alice-cert.key '$dir/err'"
check "before the console restarts, no certificate login" sh -c "[ \
    \"\$(cert_login() { curl -sk -X POST -o /dev/null -w '%{http_code}' \
    --cert '$dir/alice-cert.crt' --key '$dir/alice-cert.key' \
    https://127.0.0.1:$aport/login/cert; }; cert_login)\" = 401 ]"
check "SIGHUP restarts the console" sh -c "kill -HUP $server && sleep 0.3 && \
    for i in \$(seq 50); do grep -q 'client_certificates=asked' \
    '$dir/serve.log' && curl -sk -o /dev/null \
    https://127.0.0.1:$aport/login && exit 0; sleep 0.2; done; exit 1"
code=$(cert_login cert-ok --cert "$dir/alice-cert.crt" \
    --key "$dir/alice-cert.key")
check "alice's certificate logs in: 303 with a session cookie" sh -c "[ \
    '$code' = 303 ] && grep -qi '^set-cookie: __Host-ogsid=.*HttpOnly' \
    '$dir/h/cert-ok'"
check "  the session works" sh -c "curl -sk -o /dev/null -w '%{http_code}' \
    -H 'Cookie: $(grep -o '__Host-ogsid=[0-9a-f]*' "$dir/h/cert-ok" |
        head -1)' https://127.0.0.1:$aport/api/dashboard | grep -qx 200"
check "  audited with the fingerprint" sh -c "$OG audit list --home \
    '$home' | grep 'admin:alice' | grep console-login | grep -q \
    'certificate SHA256:'"
check "a locked admin's certificate: 403, still locked" sh -c "[ \
    \"\$(curl -sk -X POST -o '$dir/b/cert-bob' -w '%{http_code}' --cert \
    '$dir/bob-cert.crt' --key '$dir/bob-cert.key' \
    https://127.0.0.1:$aport/login/cert)\" = 403 ] && grep -q locked \
    '$dir/b/cert-bob'"
check "a certificate no admin has: 401" test "$(cert_login cert-stranger \
    --cert "$dir/stranger.crt" --key "$dir/stranger.key")" = 401
check "no certificate: 401" test "$(cert_login cert-none)" = 401
check "the login page offers the certificate button" sh -c "curl -sk \
    https://127.0.0.1:$aport/login | grep -q 'action=\"/login/cert\"'"
check "admin cert --remove" $OG admin cert --home "$home" --remove alice
check "  after SIGHUP alice's certificate no longer logs in" sh -c "kill -HUP \
    $server && sleep 1.5 && for i in \$(seq 50); do curl -sk -o /dev/null \
    https://127.0.0.1:$aport/login && break; sleep 0.2; done; [ \
    \"\$(curl -sk -X POST -o /dev/null -w '%{http_code}' --cert \
    '$dir/alice-cert.crt' --key '$dir/alice-cert.key' \
    https://127.0.0.1:$aport/login/cert)\" = 401 ]"

check "the audit chain is intact" $OG audit verify --home "$home"
check "serve stops on SIGTERM" sh -c "kill -TERM $server; for i in \$(seq \
    100); do kill -0 $server 2>/dev/null || exit 0; sleep 0.1; done; exit 1"
wait "$server" 2>/dev/null
server=
check "  and the console with it" sh -c "! curl -sk --max-time 3 -o /dev/null \
    https://127.0.0.1:$aport/login"
summary console
