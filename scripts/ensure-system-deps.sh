#!/usr/bin/env bash
# Install the system programs the test suite drives for real: a PostgreSQL server
# (>= 15), Debian's Chromium, and a Java runtime (>= 17) for the Spark analytics tests. CI starts on a fresh Debian machine, so the
# project itself must bring these in; when they are already there this prints nothing.
#
# Usage: scripts/ensure-system-deps.sh [postgres] [chromium] [java]   (default: all)
set -euo pipefail

readonly MIN_POSTGRES_MAJOR=15
readonly CHROMIUM_PATH=/usr/bin/chromium

usage() {
    echo "usage: $0 [postgres] [chromium] [java]" >&2
    exit 2
}

# Prints the major version of a PostgreSQL bin dir's initdb, or nothing.
postgres_major_in() {
    local bindir=$1 version
    [[ -x "$bindir/initdb" && -x "$bindir/pg_ctl" ]] || return 0
    version=$("$bindir/initdb" --version 2>/dev/null || true)
    # "initdb (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> 15
    version=${version#*) }
    echo "${version%%.*}" | grep -E '^[0-9]+$' || true
}

# Same search order as tests/support/postgres.py, so "present" means "usable by the tests".
have_postgres() {
    local bindir major
    local -a candidates=()
    if command -v pg_config >/dev/null 2>&1; then
        candidates+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    candidates+=(/usr/lib/postgresql/*/bin)
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(command -v initdb)")")
    fi
    for bindir in "${candidates[@]}"; do
        [[ -n "$bindir" ]] || continue
        major=$(postgres_major_in "$bindir")
        if [[ -n "$major" ]] && (( major >= MIN_POSTGRES_MAJOR )); then
            return 0
        fi
    done
    return 1
}

# PySpark 4 needs Java 17 or newer on the PATH.
have_java() {
    local version
    command -v java >/dev/null 2>&1 || return 1
    version=$(java -version 2>&1 | head -n 1 | sed -E 's/.*version "([0-9]+).*/\1/')
    [[ "$version" =~ ^[0-9]+$ ]] && (( version >= 17 ))
}

have_chromium() {
    [[ -x "$CHROMIUM_PATH" ]]
}

# Without a Hangul font, Korean pages render as empty boxes in headless screenshots.
have_hangul_font() {
    fc-list :lang=ko 2>/dev/null | grep -q .
}

want_postgres=0
want_chromium=0
want_java=0
if (( $# == 0 )); then
    want_postgres=1
    want_chromium=1
    want_java=1
fi
for arg in "$@"; do
    case "$arg" in
        postgres | postgresql) want_postgres=1 ;;
        chromium) want_chromium=1 ;;
        java) want_java=1 ;;
        -h | --help) usage ;;
        *) echo "$0: unknown component '$arg'" >&2; usage ;;
    esac
done

missing=()
if (( want_postgres )) && ! have_postgres; then
    missing+=(postgresql)
fi
if (( want_chromium )) && ! have_chromium; then
    missing+=(chromium)
fi
if (( want_chromium )) && ! have_hangul_font; then
    missing+=(fonts-nanum)
fi
if (( want_java )) && ! have_java; then
    missing+=(openjdk-17-jre-headless)
fi
(( ${#missing[@]} == 0 )) && exit 0

# Installing needs root; a developer's own machine may allow passwordless sudo.
as_root=()
if (( EUID != 0 )); then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        as_root=(sudo -n)
    else
        echo "$0: missing Debian packages: ${missing[*]}" >&2
        echo "install them as root with:" >&2
        echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
fi

echo "$0: installing ${missing[*]} with apt-get" >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"

# Catch a package that installed yet left us without what the tests look for.
if (( want_postgres )) && ! have_postgres; then
    echo "$0: postgresql installed but no initdb/pg_ctl >= $MIN_POSTGRES_MAJOR was found" >&2
    exit 1
fi
if (( want_chromium )) && ! have_chromium; then
    echo "$0: chromium installed but $CHROMIUM_PATH is missing" >&2
    exit 1
fi
if (( want_java )) && ! have_java; then
    echo "$0: openjdk-17-jre-headless installed but no java >= 17 is on the PATH" >&2
    exit 1
fi
