# shellcheck shell=bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the PostgreSQL store's tests.
#
# Source it (`source .ci/postgres.sh`) so that FOLLOWUP_TEST_POSTGRES_URL is exported
# into the calling shell; running it prints the URL instead. Installs Debian's
# postgresql package when no server binaries are found, creates a data directory
# under a fresh temporary directory, runs the server as an unprivileged user on a
# free port, and creates a database. `followup_postgres_stop` stops it again.
# Nothing here touches an existing cluster.
#
# FOLLOWUP_PG_BINDIR names the folder of the server binaries (initdb, pg_ctl) to use
# instead of searching for them (and then nothing is installed). If the server does
# not start, sourcing this file returns 1 (running it exits 1): under `set -e`, as in
# .ci/run, that ends CI. Point FOLLOWUP_PG_BINDIR at an empty folder to see it.

_followup_pg_main() {
    local bindir="" candidate
    if [ -n "${FOLLOWUP_PG_BINDIR:-}" ]; then
        if [ ! -x "$FOLLOWUP_PG_BINDIR/initdb" ] || [ ! -x "$FOLLOWUP_PG_BINDIR/pg_ctl" ]; then
            echo "postgres.sh: FOLLOWUP_PG_BINDIR=$FOLLOWUP_PG_BINDIR has no initdb and pg_ctl" >&2
            return 1
        fi
        bindir="$FOLLOWUP_PG_BINDIR"
    fi
    for candidate in /usr/lib/postgresql/*/bin; do
        [ -n "${FOLLOWUP_PG_BINDIR:-}" ] && break
        [ -x "$candidate/initdb" ] && bindir="$candidate"
    done
    if [ -z "$bindir" ] && command -v initdb >/dev/null 2>&1; then
        bindir="$(dirname "$(command -v initdb)")"
    fi
    if [ -z "$bindir" ]; then
        if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
            echo "postgres.sh: no PostgreSQL binaries found and cannot apt-get install postgresql" >&2
            return 1
        fi
        echo "postgres.sh: installing Debian's postgresql package" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 || return 1
        for candidate in /usr/lib/postgresql/*/bin; do
            [ -x "$candidate/initdb" ] && bindir="$candidate"
        done
        [ -n "$bindir" ] || { echo "postgres.sh: postgresql installed but initdb not found" >&2; return 1; }
    fi

    # The server refuses to run as root: use the package's postgres user (or nobody).
    local runas=""
    if [ "$(id -u)" -eq 0 ]; then
        if id postgres >/dev/null 2>&1; then runas=postgres; else runas=nobody; fi
    fi
    _followup_as() {
        if [ -n "$runas" ]; then
            su -s /bin/sh "$runas" -c "$(printf '%q ' "$@")"
        else
            "$@"
        fi
    }

    local root port
    root="$(mktemp -d "${TMPDIR:-/tmp}/followup-pg.XXXXXX")" || return 1
    [ -n "$runas" ] && chown "$runas" "$root"
    chmod 700 "$root"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" || return 1

    _followup_as "$bindir/initdb" -D "$root/data" -U followup --auth=trust -E UTF8 --no-locale >"$root/initdb.log" 2>&1 ||
        { cat "$root/initdb.log" >&2; return 1; }
    _followup_as "$bindir/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $root -c fsync=off -c max_connections=100" start >/dev/null ||
        { cat "$root/server.log" >&2; return 1; }
    _followup_as "$bindir/createdb" -h 127.0.0.1 -p "$port" -U followup followup_test ||
        { echo "postgres.sh: createdb failed" >&2; return 1; }

    FOLLOWUP_TEST_POSTGRES_URL="postgresql://followup@127.0.0.1:$port/followup_test"
    FOLLOWUP_TEST_POSTGRES_DATA="$root/data"
    export FOLLOWUP_TEST_POSTGRES_URL FOLLOWUP_TEST_POSTGRES_DATA
    _FOLLOWUP_PG_STOP="$bindir/pg_ctl -D $root/data -m fast stop"
    _FOLLOWUP_PG_RUNAS="$runas"
    echo "postgres.sh: PostgreSQL ($bindir) listening; FOLLOWUP_TEST_POSTGRES_URL=$FOLLOWUP_TEST_POSTGRES_URL" >&2
}

followup_postgres_stop() {
    [ -n "${_FOLLOWUP_PG_STOP:-}" ] || return 0
    if [ -n "${_FOLLOWUP_PG_RUNAS:-}" ]; then
        su -s /bin/sh "$_FOLLOWUP_PG_RUNAS" -c "$_FOLLOWUP_PG_STOP" >/dev/null
    else
        $_FOLLOWUP_PG_STOP >/dev/null
    fi
    _FOLLOWUP_PG_STOP=""
}

if [ -n "${FOLLOWUP_TEST_POSTGRES_URL:-}" ]; then
    echo "postgres.sh: using FOLLOWUP_TEST_POSTGRES_URL from the environment" >&2
elif ! _followup_pg_main; then
    echo "postgres.sh: could not start PostgreSQL" >&2
    # shellcheck disable=SC2317
    return 1 2>/dev/null || exit 1
fi

# Executed rather than sourced: print the URL for the caller to export.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ -n "${FOLLOWUP_TEST_POSTGRES_URL:-}" ]; then
    echo "$FOLLOWUP_TEST_POSTGRES_URL"
fi
