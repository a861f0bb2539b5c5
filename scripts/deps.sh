# scripts/deps.sh - install the Debian packages a script needs (sourced).
#
# og_need PKG...: installs those not yet installed, with one apt-get
# update first.  Runs apt-get as root, or through sudo when there is one.
og_need() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
            grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
        --no-install-recommends "${missing[@]}"
}

# What building offsetgw takes.
OG_BUILD_PKGS=(build-essential autoconf automake pkg-config
    libssh-dev libgnutls28-dev libxml2-dev libsqlite3-dev libcmocka-dev
    libcrypt-dev)
OG_BUILD_PKGS+=(libmicrohttpd-dev)
# What scripts/fuzz takes: clang and its libFuzzer runtime (Debian 12).
OG_FUZZ_PKGS=(clang libclang-rt-14-dev)
