# tests/e2e/lib.sh - what every end-to-end script needs (sourced after it
# set $dir, its scratch folder): check NAME CMD... runs a check and counts
# it, refused CMD... must fail, wait_for GLOB waits up to 20 s for a file,
# wait_port FILE waits up to 10 s for serve's --port-file and prints the
# port, summary NAME prints the counts and fails when any check did.
passed=0 failed=0
ssh_opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=10)

check() { # NAME, then a command that must succeed
    local name=$1
    shift
    if "$@" >"$dir/out" 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $name"
        sed 's/^/    /' "$dir/out" | head -20
    fi
}

refused() { ! "$@"; }

wait_for() { # GLOB
    for _ in $(seq 200); do
        compgen -G "$1" >/dev/null && return 0
        sleep 0.1
    done
    return 1
}

wait_port() { # PORT_FILE
    for _ in $(seq 100); do
        [ -s "$1" ] && break
        sleep 0.1
    done
    cat "$1" 2>/dev/null
}

summary() { # NAME
    echo "# $1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
