#!/usr/bin/env bash
# bench/sftp.sh - SFTP throughput of `offsetgw serve` against OpenSSH's
# sshd with internal-sftp, and the time from the end of an agency's upload
# to its results in the outbox (issue 5).
#
# Both servers run on loopback ports of their own, started here:
#   - offsetgw serve on a demo home (bench/out/sftp-home, `init --demo`),
#     logged into as demo-agency with its demo key;
#   - /usr/sbin/sshd -D from Debian's openssh-server, with its own config,
#     host key and authorized_keys under bench/out/sftp-sshd, `Subsystem
#     sftp internal-sftp` and `ForceCommand internal-sftp`.  Run as root
#     (as on the project's machines) it is the usual SFTP-only set-up:
#     logged into as the unprivileged user nobody, chrooted
#     (ChrootDirectory) to bench/out/sftp-sshd/root.  ChrootDirectory needs
#     sshd to run as root and every folder above the chroot to be
#     root-owned and not group- or world-writable: run as another user, or
#     when a folder above fails that, sshd runs unprivileged as that user,
#     unchrooted (the script says which it used).
# The same key, the same OpenSSH `sftp` client and the same options for
# both; each row of the table is one client configuration (a cipher, and
# the -B buffer size where given).  Each run moves a file of SIZE_MIB MiB
# (random bytes) up and down through each server, interleaved (the server
# that goes first alternates run by run); the medians of RUNS runs are
# printed in MB/s (10^6 bytes per second of the whole `sftp -b` command,
# session set-up included: the "session" row measures that alone), with
# the ratio offsetgw/OpenSSH.
#
# Uploads go to offsetgw's /inbox under a temporary name (big.bin.part):
# the gateway hands on no file with such a name, so the figure is the
# transfer alone (a final name would queue the file: a move to received/,
# then the pipeline worker reading, hashing and rejecting 1 GiB while the
# next runs go on).  Note that offsetgw takes the SHA-256 of every
# transfer as it streams, both ways, whatever the name: the transfer log
# records it; OpenSSH does no such work.  Downloads read the
# file placed (hard-linked) straight into the partner's outbox and the
# chroot's outbox.  The first run of the first configuration compares the
# bytes moved each way with cmp; every run checks the size.
#
# Where a cpuacct cgroup can be made (root, cgroup v1 or v2), each server
# runs in one of its own, and the server's CPU time (all its processes,
# user+system) for each transfer is printed as seconds per GB moved
# (medians); else those columns show "-".  OpenSSH's clients are not in
# them: the client costs the same against both servers.
#
# Then the pipeline: LAT_RUNS agency files of RECORDS records (`offsetgw
# synth --program caltrecs --agency-code DEMO1`, a fresh seed and name
# each) are uploaded to /inbox under their final names, one at a time; the
# time from the end of the `sftp` command to the acknowledgement
# (NAME.N.ack) appearing in the outbox is measured (polling every 10 ms),
# median kept.  Each connection to offsetgw opens the registry (with
# sqlite's quick_check): the login-only session is timed again once the
# registry holds those files' debts.  Targets (issue 5): offsetgw at least OpenSSH's throughput
# both ways with every cipher; under 2 s from upload to results.
#
# Needs: ./offsetgw, sftp and ssh-keygen (openssh-client), sshd
# (openssh-server: installed with apt-get when missing and run as root),
# bc.  RUNS=3 SIZE_MIB=1024 LAT_RUNS=5 RECORDS=100000 by default.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-1024}
LAT_RUNS=${LAT_RUNS:-5}
RECORDS=${RECORDS:-100000}
OUT=bench/out
SSHD=${SSHD:-/usr/sbin/sshd}
# label|sftp options.  OpenSSH 9.2's sftp uses the server's limits@openssh.com
# sizes when not given -B: 261120 from both servers, so "-B 261120" is
# the default made explicit; -B 32768 is the default of clients that do
# not ask for the limits.
CONFIGS=(
    "aes128-gcm|-c aes128-gcm@openssh.com"
    "chacha20-poly1305|-c chacha20-poly1305@openssh.com"
    "aes128-gcm -B 261120|-c aes128-gcm@openssh.com -B 261120"
    "chacha20 -B 261120|-c chacha20-poly1305@openssh.com -B 261120"
    "aes128-gcm -B 32768|-c aes128-gcm@openssh.com -B 32768"
)

# --- preconditions ------------------------------------------------------------
die() {
    echo "bench/sftp.sh: $*" >&2
    exit 1
}
[ -x ./offsetgw ] || die "build first (scripts/run or make): no ./offsetgw"
for tool in sftp ssh-keygen bc cmp; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
if [ ! -x "$SSHD" ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "== installing openssh-server (for this benchmark only)"
        apt-get install -y -qq openssh-server >/dev/null ||
            { apt-get update -qq && apt-get install -y -qq openssh-server \
                >/dev/null; } || die "cannot install openssh-server"
    fi
    [ -x "$SSHD" ] || die "no $SSHD: apt-get install -y openssh-server"
fi
sshd_version=$("$SSHD" -V 2>&1 | head -1 || true)
case $sshd_version in
OpenSSH_*) ;;
*) die "$SSHD -V does not say OpenSSH: $sshd_version" ;;
esac

mkdir -p "$OUT"
size=$((SIZE_MIB * 1024 * 1024))
big=$OUT/sftp-$SIZE_MIB.bin
got=$OUT/sftp-got.bin
home=$OUT/sftp-home
sdir=$(pwd)/$OUT/sftp-sshd
sroot=$sdir/root
key=$home/demo-keys/demo-agency
ssh_opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10)
og_pid='' sshd_pid='' og_port='' sshd_port=''

# --- a cpuacct cgroup per server, when one can be made ---------------------------
cg_base=''
for d in /sys/fs/cgroup/cpuacct /sys/fs/cgroup/cpu,cpuacct /sys/fs/cgroup; do
    if [ -e "$d/cpuacct.usage" ] || [ -e "$d/cgroup.controllers" ]; then
        if mkdir -p "$d/sftp-bench-$$" 2>/dev/null; then
            cg_base=$d/sftp-bench-$$
            break
        fi
    fi
done
cg_join() { # SERVER PID
    [ -n "$cg_base" ] || return 0
    mkdir -p "$cg_base/$1"
    echo "$2" >"$cg_base/$1/cgroup.procs" 2>/dev/null || {
        rmdir "$cg_base/$1" 2>/dev/null || true
        return 0
    }
}
cg_ns() { # SERVER: CPU nanoseconds used in its cgroup so far, "" if none
    local f=$cg_base/$1
    if [ -z "$cg_base" ] || [ ! -d "$f" ]; then
        echo ''
    elif [ -e "$f/cpuacct.usage" ]; then
        cat "$f/cpuacct.usage"
    else
        echo "$(($(sed -n 's/^usage_usec //p' "$f/cpu.stat") * 1000))"
    fi
}

stop_servers() {
    local pid
    for pid in "$og_pid" "$sshd_pid"; do
        if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; fi
    done
    wait 2>/dev/null || true
    og_pid='' sshd_pid=''
}
cleanup() {
    stop_servers
    if [ -n "$cg_base" ]; then
        rmdir "$cg_base"/* "$cg_base" 2>/dev/null || true
    fi
}
trap cleanup EXIT

if [ "$(stat -c %s "$big" 2>/dev/null || echo 0)" != "$size" ]; then
    echo "== $SIZE_MIB MiB of random bytes into $big"
    head -c "$size" /dev/urandom >"$big.tmp"
    mv "$big.tmp" "$big"
fi
chmod 644 "$big"

# --- offsetgw serve -------------------------------------------------------------
rm -rf "$home"
./offsetgw init --home "$home" --demo >/dev/null
og_inbox=$home/var/spool/demo-agency/inbox
og_outbox=$home/var/spool/demo-agency/outbox
start_offsetgw() { # sets og_port, og_pid
    rm -f "$OUT/sftp-og.port"
    ./offsetgw serve --home "$home" --listen 127.0.0.1:0 \
        --port-file "$OUT/sftp-og.port" --stop-grace 5 \
        2>>"$OUT/sftp-og.log" &
    og_pid=$!
    for _ in $(seq 100); do
        [ -s "$OUT/sftp-og.port" ] && break
        sleep 0.1
    done
    og_port=$(cat "$OUT/sftp-og.port" 2>/dev/null) ||
        die "offsetgw serve did not start: $(tail -3 "$OUT/sftp-og.log")"
}

# --- OpenSSH sshd with internal-sftp -------------------------------------------
# ChrootDirectory: sshd must be root, and every folder from / to the chroot
# root-owned and writable by nobody else.
chroot_ok() { # DIR
    local d=$1 uid mode
    [ "$(id -u)" -eq 0 ] || return 1
    while :; do
        read -r uid mode < <(stat -c '%u %a' "$d")
        [ "$uid" -eq 0 ] && [ $((8#$mode & 8#022)) -eq 0 ] || return 1
        [ "$d" = / ] && return 0
        d=$(dirname "$d")
    done
}
rm -rf "$sdir"
mkdir -p "$sroot/inbox" "$sroot/outbox"
chmod 755 "$sdir" "$sroot" "$sroot/outbox"
ssh-keygen -q -N '' -t ed25519 -f "$sdir/host_key" -C sftp-bench
cp "$key.pub" "$sdir/authorized_keys"
chmod 644 "$sdir/authorized_keys"
if chroot_ok "$sroot"; then
    s_user=nobody s_prefix='' s_chroot="ChrootDirectory $sroot"
    chown nobody "$sroot/inbox"
    mkdir -p /run/sshd # sshd's privilege separation folder (Debian)
    sshd_mode="as root, logged into as nobody, chrooted to $sroot"
else
    s_user=$(id -un) s_prefix=$sroot s_chroot=''
    sshd_mode="unprivileged as $s_user, NOT chrooted (ChrootDirectory needs \
root and root-owned folders above $sroot)"
fi
start_sshd() { # sets sshd_port, sshd_pid
    for _ in 1 2 3 4 5 6 7 8; do
        sshd_port=$((20000 + RANDOM % 40000))
        # taken already: try another
        (exec 3<>"/dev/tcp/127.0.0.1/$sshd_port") 2>/dev/null && continue
        cat >"$sdir/sshd_config" <<EOF
ListenAddress 127.0.0.1:$sshd_port
HostKey $sdir/host_key
PidFile $sdir/sshd.pid
AuthorizedKeysFile $sdir/authorized_keys
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
ForceCommand internal-sftp
$s_chroot
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
LogLevel ERROR
EOF
        rm -f "$sdir/sshd.pid"
        "$SSHD" -D -e -f "$sdir/sshd_config" 2>>"$OUT/sftp-sshd.log" &
        sshd_pid=$!
        for _ in $(seq 50); do
            [ -s "$sdir/sshd.pid" ] && return 0
            kill -0 "$sshd_pid" 2>/dev/null || break
            sleep 0.1
        done
        wait "$sshd_pid" 2>/dev/null || true # it could not listen
        sshd_pid=''
    done
    die "sshd did not start: $(tail -3 "$OUT/sftp-sshd.log")"
}

# --- the runs --------------------------------------------------------------------
sftp_to() { # SERVER BATCH [OPTIONS...]: one sftp -b session
    local server=$1 batch=$2
    shift 2
    if [ "$server" = offsetgw ]; then
        sftp "${ssh_opts[@]}" "$@" -i "$key" -P "$og_port" -b "$batch" \
            demo-agency@127.0.0.1
    else
        sftp "${ssh_opts[@]}" "$@" -i "$key" -P "$sshd_port" -b "$batch" \
            "$s_user@127.0.0.1"
    fi
}
remote_inbox() { if [ "$1" = offsetgw ]; then echo /inbox; else echo "$s_prefix/inbox"; fi; }
remote_outbox() { if [ "$1" = offsetgw ]; then echo /outbox; else echo "$s_prefix/outbox"; fi; }
local_inbox() { if [ "$1" = offsetgw ]; then echo "$og_inbox"; else echo "$sroot/inbox"; fi; }

timed() { # NAME SERVER BATCH OPTIONS...: appends "seconds cpu-seconds"
    local name=$1 server=$2 rc=0 t0 t1 c0 c1 cpu=-
    shift
    c0=$(cg_ns "$server")
    t0=$EPOCHREALTIME
    sftp_to "$@" >"$OUT/sftp-run.out" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    c1=$(cg_ns "$server")
    if [ $rc -ne 0 ]; then
        echo "$name failed ($rc):" >&2
        tail -5 "$OUT/sftp-run.out" >&2
        exit 1
    fi
    [ -n "$c0" ] && cpu=$(echo "($c1 - $c0) / 1000000000" | bc -l)
    printf '%.3f %s\n' "$(echo "$t1 - $t0" | bc -l)" "$cpu" \
        >>"$OUT/sftp-time.$name"
}
median() { # NAME [COLUMN]: the median of OUT/sftp-time.NAME's column
    local n
    n=$(wc -l <"$OUT/sftp-time.$1")
    cut -d' ' -f"${2:-1}" "$OUT/sftp-time.$1" | sort -g |
        sed -n "$(((n + 1) / 2))p"
}
runs_of() { cut -d' ' -f1 "$OUT/sftp-time.$1" | tr '\n' ' ' | sed 's/ $//'; }

echo "== machine: $(nproc) cores, $(uname -r), load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "== OpenSSH: client $(ssh -V 2>&1), server $sshd_version"
echo "== sshd runs $sshd_mode"
[ -n "$cg_base" ] || echo "== no cgroup could be made: no server CPU figures"
rm -f "$OUT"/sftp-time.* "$OUT/sftp-og.log" "$OUT/sftp-sshd.log"
start_offsetgw
cg_join offsetgw "$og_pid"
start_sshd
cg_join openssh "$(cat "$sdir/sshd.pid")"

# the file to download, in both outboxes (a hard link when it can be)
for dst in "$og_outbox/big.bin" "$sroot/outbox/big.bin"; do
    ln -f "$big" "$dst" 2>/dev/null || cp "$big" "$dst"
done
printf 'pwd\n' >"$OUT/sftp-pwd.batch"
for server in offsetgw openssh; do
    printf 'put %s %s/big.bin.part\n' "$big" "$(remote_inbox $server)" \
        >"$OUT/sftp-put.$server.batch"
    printf 'get %s/big.bin %s\n' "$(remote_outbox $server)" "$got" \
        >"$OUT/sftp-get.$server.batch"
    sftp_to $server "$OUT/sftp-pwd.batch" >/dev/null ||
        die "cannot log into $server"
done

echo "== $SIZE_MIB MiB up and down, ${#CONFIGS[@]} client configurations," \
    "$RUNS interleaved runs"
for run in $(seq "$RUNS"); do
    if [ $((run % 2)) -eq 1 ]; then order="offsetgw openssh"; else
        order="openssh offsetgw"; fi
    for server in $order; do
        timed "session.$server" "$server" "$OUT/sftp-pwd.batch"
    done
    for ci in "${!CONFIGS[@]}"; do
        read -ra opts <<<"${CONFIGS[$ci]#*|}"
        for dir in put get; do
            for server in $order; do
                if [ $dir = put ]; then
                    moved=$(local_inbox "$server")/big.bin.part
                else
                    moved=$got
                fi
                rm -f "$moved"
                timed "$ci.$dir.$server" "$server" \
                    "$OUT/sftp-$dir.$server.batch" "${opts[@]}"
                [ "$(stat -c %s "$moved")" = "$size" ] ||
                    die "$server $dir: $(stat -c %s "$moved") bytes, not $size"
                if [ "$run" -eq 1 ] && [ "$ci" -eq 0 ]; then
                    cmp -s "$big" "$moved" ||
                        die "$server $dir: the bytes differ"
                fi
                rm -f "$moved"
            done
        done
    done
    printf '   run %d of %d done\n' "$run" "$RUNS"
done
stop_servers
rm -f "$og_outbox/big.bin" "$sroot/outbox/big.bin"

mbs() { echo "$size / $1 / 1000000" | bc -l; }
per_gb() { # CPU-SECONDS: per GB moved, or -
    if [ "$1" = - ]; then echo -; else
        printf '%.2f' "$(echo "$1 * 1000000000 / $size" | bc -l)"
    fi
}
printf '\n%-22s %-4s %16s %16s %7s %14s\n' "client" "dir" "offsetgw MB/s" \
    "OpenSSH MB/s" "ratio" "CPU s/GB og/ssh"
for ci in "${!CONFIGS[@]}"; do
    label=${CONFIGS[$ci]%%|*}
    for dir in put get; do
        a=$(median "$ci.$dir.offsetgw")
        b=$(median "$ci.$dir.openssh")
        printf '%-22s %-4s %8.0f (%5.2fs) %8.0f (%5.2fs) %6.2fx %7s %6s\n' \
            "$label" "$dir" "$(mbs "$a")" "$a" "$(mbs "$b")" "$b" \
            "$(echo "$b / $a" | bc -l)" \
            "$(per_gb "$(median "$ci.$dir.offsetgw" 2)")" \
            "$(per_gb "$(median "$ci.$dir.openssh" 2)")"
    done
done
printf '%-22s %-4s %14s s %14s s\n' "session (pwd only)" "" \
    "$(median session.offsetgw)" "$(median session.openssh)"
echo
echo "runs (seconds each; ratios are of the medians: offsetgw MB/s / OpenSSH MB/s):"
for ci in "${!CONFIGS[@]}"; do
    for dir in put get; do
        printf '  %-22s %s  offsetgw: %s  OpenSSH: %s\n' \
            "${CONFIGS[$ci]%%|*}" "$dir" "$(runs_of "$ci.$dir.offsetgw")" \
            "$(runs_of "$ci.$dir.openssh")"
    done
done

# --- from the end of an upload to its results ----------------------------------
echo
echo "== $LAT_RUNS agency files of $RECORDS records: end of upload to results"
start_offsetgw
rm -f "$OUT/sftp-time.lat" "$OUT/sftp-time.latup"
lat_bytes=0
for i in $(seq "$LAT_RUNS"); do
    name=lat$i-$$.txt
    ./offsetgw synth --program caltrecs --records "$RECORDS" --seed "$i" \
        --agency-code DEMO1 --output "$OUT/$name" >/dev/null 2>&1
    lat_bytes=$(stat -c %s "$OUT/$name")
    printf 'put %s /inbox/%s\n' "$OUT/$name" "$name" >"$OUT/sftp-lat.batch"
    t0=$EPOCHREALTIME
    sftp_to offsetgw "$OUT/sftp-lat.batch" >/dev/null
    t1=$EPOCHREALTIME
    deadline=$((${t1%.*} + 60))
    until compgen -G "$og_outbox/$name.*.ack" >/dev/null; do
        [ "${EPOCHREALTIME%.*}" -lt "$deadline" ] ||
            die "no results for $name in 60 s: $(tail -3 "$OUT/sftp-og.log")"
        sleep 0.01
    done
    t2=$EPOCHREALTIME
    echo "$t1 - $t0" | bc -l >>"$OUT/sftp-time.latup"
    echo "$t2 - $t1" | bc -l >>"$OUT/sftp-time.lat"
    rm -f "$OUT/$name"
done
for _ in 1 2 3; do
    timed session.full offsetgw "$OUT/sftp-pwd.batch"
done
db_mb=$(echo "$(stat -c %s "$home/var/offsetgw.db") / 1000000" | bc -l)
stop_servers
printf 'upload (sftp put, %.1f MB): %.2f s median  (runs: %s)\n' \
    "$(echo "$lat_bytes / 1000000" | bc -l)" "$(median latup)" \
    "$(xargs printf '%.2f ' <"$OUT/sftp-time.latup" | sed 's/ $//')"
printf 'end of upload to results: %.2f s median  (runs: %s)  target < 2 s\n' \
    "$(median lat)" \
    "$(xargs printf '%.2f ' <"$OUT/sftp-time.lat" | sed 's/ $//')"
printf 'session (pwd only) with the registry at %.0f MB: %s s median' \
    "$db_mb" "$(median session.full)"
printf ' (%s s with a new home above)\n' "$(median session.offsetgw)"
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
