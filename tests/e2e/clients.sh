#!/usr/bin/env bash
# tests/e2e/clients.sh - `offsetgw serve` with the SFTP clients partners
# use, each on a free loopback port, checking the host key it is shown:
#   - python3 paramiko: put() (which stats the file it wrote to confirm
#     its size), then get() of the acknowledgement and unprocessable file;
#   - curl sftp:// (libssh2): an upload, a listing, downloads; a wrong
#     host key fingerprint is refused;
#   - rclone: copyto of one file, copy of four with four transfers at
#     once (rclone sets each file's time and stats it after the upload,
#     over any connection of its pool), then copy of the results back;
#   - OpenSSH sftp with 261120-byte requests (-B), 64 in flight (-R), a
#     5 MB agency file up and its 1.5 MB unprocessable file down.
# Every upload is taken in exactly once (one job, one acknowledgement);
# what each client downloads is byte for byte what `offsetgw ingest`
# writes for the same file in a home of its own, and the SHA-256 the
# transfer log has for each upload and download is that of the bytes the
# client sent or got.
set -u
OG=${OG:-./offsetgw}
PY=/usr/bin/python3 # Debian's, with python3-paramiko (not a pyenv's)
dir=$(mktemp -d /tmp/og-clients-XXXXXX)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
export OFFSETGW_TODAY=2026-11-20
. "$(dirname "$0")/lib.sh"

for tool in curl rclone sftp ssh-keygen jq sha256sum; do
    check "$tool is installed (scripts/test installs it)" command -v "$tool"
done
check "python3-paramiko is installed (scripts/test installs it)" \
    "$PY" -c 'import paramiko'

home=$dir/gw
ref=$dir/ref
spool=$home/var/spool/demo-agency
refbox=$ref/var/spool/demo-agency/outbox
key=$home/demo-keys/demo-agency
start_server() {
    rm -f "$dir/port"
    $OG serve --home "$home" --listen 127.0.0.1:0 --port-file "$dir/port" \
        --stop-grace 5 >>"$dir/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do
        [ -s "$dir/port" ] && break
        sleep 0.1
    done
    port=$(cat "$dir/port" 2>/dev/null)
}
# wait until the queue has nothing queued or running
queue_idle() {
    for _ in $(seq 200); do
        $OG status --home "$home" | grep -q 'queue: 0 queued, 0 running' &&
            return 0
        sleep 0.1
    done
    return 1
}
sha() { sha256sum <"$1" | cut -d' ' -f1; }
# the SHA-256s the transfer log has for successful KIND events on PATH
logged_sha() { # KIND PATH
    $OG transfers --home "$home" --json |
        jq -r --arg k "$1" --arg p "$2" \
            'select(.kind == $k and .path == $p and .status == 0) | .sha256'
}
# NAME was taken in exactly once: one finished upload in the log, with
# the SHA-256 of LOCAL, and one acknowledgement
taken_once() { # NAME LOCAL
    local n
    n=$($OG transfers --home "$home" --json | jq -r --arg p "/inbox/$1" \
        'select(.kind == "upload" and .path == $p and .complete) | .sha256')
    [ "$n" = "$(sha "$2")" ] || {
        echo "uploads of $1 in the log: '$n'"
        return 1
    }
    n=$(compgen -G "$spool/outbox/$1.*.ack" | wc -l)
    [ "$n" -eq 1 ] || {
        echo "$n acknowledgements of $1"
        return 1
    }
}
# GOT is byte for byte the reference's NAME.*.EXT, and the transfer log's
# SHA-256 of its download is GOT's
same_as_ingest() { # NAME EXT GOT
    local want path
    want=$(compgen -G "$refbox/$1.*.$2") || {
        echo "no $1.*.$2 in the reference"
        return 1
    }
    cmp "$3" "$want" || return 1
    path=/outbox/$(basename "$(compgen -G "$spool/outbox/$1.*.$2")")
    [ "$(logged_sha download "$path" | sort -u)" = "$(sha "$want")" ] || {
        echo "the log's SHA-256 of $path: $(logged_sha download "$path")"
        return 1
    }
}
synth() { # NAME SEED RECORDS [BAD_SHARE]
    $OG synth --program caltrecs --records "$3" --bad-share "${4:-0}" \
        --seed "$2" --agency-code DEMO1 --output "$dir/$1" >/dev/null 2>&1
    # the reference takes it in too; exit 1: records rejected
    $OG ingest --home "$ref" --partner demo-agency "$dir/$1" >/dev/null
    [ $? -le 1 ]
}

check "a demo home" $OG init --home "$home" --demo
# its outputs are compared on disk: a plain spool
check "a reference home" $OG init --home "$ref" --demo --plain-spool
start_server
check "serve listens" test -n "$port"
# the host key the clients are to be shown, from the home, not the wire
fp=$($OG keys show --home "$home" | head -1 | cut -d' ' -f1)
check "the host key's fingerprint" test -n "$fp"
printf '[127.0.0.1]:%s %s\n' "$port" \
    "$(ssh-keygen -y -f "$home/keys/ssh_host_ed25519_key")" >"$dir/known_hosts"
check "  is that of its public key" sh -c "ssh-keygen -l -f \
    '$dir/known_hosts' | grep -qF ' $fp '"

# --- paramiko ------------------------------------------------------------
cat >"$dir/pm.py" <<'EOF'
import base64, hashlib, sys, time
import paramiko
port, key, fp, local, name, dest = sys.argv[1:]
t = paramiko.Transport(("127.0.0.1", int(port)))
t.connect(username="demo-agency",
          pkey=paramiko.Ed25519Key.from_private_key_file(key))
shown = base64.b64encode(hashlib.sha256(
    t.get_remote_server_key().asbytes()).digest()).decode().rstrip("=")
if "SHA256:" + shown != fp:
    sys.exit("host key SHA256:%s, expected %s" % (shown, fp))
s = paramiko.SFTPClient.from_transport(t)
a = s.put(local, "/inbox/" + name)  # confirm=True: stats it afterwards
print("put: %d bytes" % a.st_size)
for _ in range(200):
    got = sorted(n for n in s.listdir("/outbox") if n.startswith(name + "."))
    if any(n.endswith(".ack") for n in got):
        break
    time.sleep(0.1)
for n in got:
    s.get("/outbox/" + n, dest + "/" + n)
    print("got", n)
s.close()
t.close()
EOF
check "an agency file for paramiko" synth pm.txt 101 60 0.1
mkdir "$dir/pm-got"
check "paramiko: put (with its stat), then get the results" \
    "$PY" "$dir/pm.py" "$port" "$key" "$fp" "$dir/pm.txt" pm.txt "$dir/pm-got"
check "  the upload was taken in once" taken_once pm.txt "$dir/pm.txt"
check "  its acknowledgement is the one ingest writes" same_as_ingest pm.txt \
    ack "$(compgen -G "$dir/pm-got/pm.txt.*.ack")"
check "  its unprocessable file too" same_as_ingest pm.txt unp \
    "$(compgen -G "$dir/pm-got/pm.txt.*.unp")"

# --- curl ---------------------------------------------------------------------
url=sftp://demo-agency@127.0.0.1:$port
curl_as() { # curl with the demo agency's key and the host key's fingerprint
    timeout 30 curl -sS --key "$key" --pubkey "$key.pub" \
        --hostpubsha256 "${fp#SHA256:}=" "$@"
}
check "an agency file for curl" synth cu.txt 102 50 0.1
check "curl refuses a host key of another fingerprint" refused timeout 30 \
    curl -sS --key "$key" --pubkey "$key.pub" --hostpubsha256 \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" -T "$dir/cu.txt" \
    "$url/inbox/cu.txt"
check "  and sent nothing" test -z "$(logged_sha upload /inbox/cu.txt)"
check "curl: upload" curl_as -T "$dir/cu.txt" "$url/inbox/cu.txt"
check "  results appear" wait_for "$spool/outbox/cu.txt.*.unp"
curl_list() {
    curl_as -l "$url/outbox/" >"$dir/cu.list" &&
        [ "$(grep -c '^cu\.txt\.' "$dir/cu.list")" -eq 2 ]
}
check "  curl lists them" curl_list
for ext in ack unp; do
    name=$(grep "^cu\.txt\..*\.$ext\$" "$dir/cu.list")
    check "curl: download $name" curl_as -o "$dir/cu.$ext" \
        "$url/outbox/$name"
    check "  the one ingest writes" same_as_ingest cu.txt $ext "$dir/cu.$ext"
done
check "  the upload was taken in once" taken_once cu.txt "$dir/cu.txt"

# --- rclone -----------------------------------------------------------------------
: >"$dir/rclone.conf"
rclone_gw() {
    env RCLONE_CONFIG="$dir/rclone.conf" RCLONE_CONFIG_GW_TYPE=sftp \
        RCLONE_CONFIG_GW_HOST=127.0.0.1 RCLONE_CONFIG_GW_PORT="$port" \
        RCLONE_CONFIG_GW_USER=demo-agency RCLONE_CONFIG_GW_KEY_FILE="$key" \
        RCLONE_CONFIG_GW_KNOWN_HOSTS_FILE="$dir/known_hosts" \
        RCLONE_CONFIG_GW_SHELL_TYPE=none RCLONE_CONFIG_GW_SET_MODTIME=true \
        timeout 60 rclone --retries 3 --low-level-retries 3 "$@"
}
check "an agency file for rclone" synth rc.txt 103 40 0.1
check "rclone copyto (set_modtime: it sets the time and stats it after)" \
    rclone_gw copyto "$dir/rc.txt" gw:/inbox/rc.txt
mkdir "$dir/rc-batch"
for i in 1 2 3 4; do
    check "agency file $i of a batch" synth "rc-batch/b$i.txt" $((110 + i)) 20
done
check "rclone copy of four with four transfers at once" rclone_gw copy \
    "$dir/rc-batch" gw:/inbox --transfers 4
check "  all processed" queue_idle
check "  the one file was taken in once" taken_once rc.txt "$dir/rc.txt"
for i in 1 2 3 4; do
    check "  b$i.txt was taken in once" taken_once b$i.txt \
        "$dir/rc-batch/b$i.txt"
done
check "rclone copy of the results back" rclone_gw copy gw:/outbox \
    "$dir/rc-got" --include 'rc.txt.*' --include 'b?.txt.*'
check "  the acknowledgement is the one ingest writes" same_as_ingest rc.txt \
    ack "$(compgen -G "$dir/rc-got/rc.txt.*.ack")"
check "  the unprocessable file too" same_as_ingest rc.txt unp \
    "$(compgen -G "$dir/rc-got/rc.txt.*.unp")"
for i in 1 2 3 4; do
    check "  b$i.txt's acknowledgement too" same_as_ingest b$i.txt ack \
        "$(compgen -G "$dir/rc-got/b$i.txt.*.ack")"
done
inbox_empty() { [ -z "$(rclone_gw lsf gw:/inbox)" ]; }
check "rclone lists an empty inbox" inbox_empty

# --- OpenSSH sftp, large requests, many in flight --------------------------------
big_sftp() { # BATCH
    timeout 60 sftp -o StrictHostKeyChecking=yes \
        -o UserKnownHostsFile="$dir/known_hosts" -o BatchMode=yes \
        -o LogLevel=ERROR -B 261120 -R 64 -i "$key" -P "$port" -b "$1" \
        demo-agency@127.0.0.1
}
check "a 5 MB agency file" synth big.txt 104 20000 0.3
check "  of 5 MB" test "$(stat -c %s "$dir/big.txt")" -gt 5000000
printf 'put %s /inbox/big.txt\n' "$dir/big.txt" >"$dir/big-up.batch"
check "sftp -B 261120 -R 64: put" big_sftp "$dir/big-up.batch"
check "  results appear" wait_for "$spool/outbox/big.txt.*.unp"
check "  the upload was taken in once" taken_once big.txt "$dir/big.txt"
ack=$(basename "$(compgen -G "$spool/outbox/big.txt.*.ack")")
unp=$(basename "$(compgen -G "$spool/outbox/big.txt.*.unp")")
printf 'get /outbox/%s %s/big.ack\nget /outbox/%s %s/big.unp\n' "$ack" \
    "$dir" "$unp" "$dir" >"$dir/big-down.batch"
check "sftp -B 261120 -R 64: get" big_sftp "$dir/big-down.batch"
check "  a large unprocessable file" test "$(stat -c %s "$dir/big.unp")" \
    -gt 1000000
check "  the one ingest writes" same_as_ingest big.txt unp "$dir/big.unp"
check "  its acknowledgement too" same_as_ingest big.txt ack "$dir/big.ack"

# --- all in all --------------------------------------------------------------------
check "the queue: 8 done, none failed" sh -c "$OG status --home '$home' | \
    grep -q 'queue: 0 queued, 0 running, 8 done, 0 failed'"
check "no upload failed or was cut off" test -z \
    "$($OG transfers --home "$home" --failed)"
kill -TERM "$server"
wait "$server"
check "SIGTERM stops the server cleanly" test $? -eq 0
server=

summary clients.sh
