# shellcheck shell=bash
# Start a throwaway Dovecot IMAP server on 127.0.0.1 for the tests of `followup mail sync`.
#
# Source it (`source .ci/dovecot.sh`) so that the FOLLOWUP_TEST_IMAP_* variables are
# exported into the calling shell; running it prints them as `export` lines instead.
# Installs Debian's dovecot-imapd when no dovecot binary is found, then runs Dovecot
# without root ("rootless": as an unprivileged user, no chroot, nothing under /etc or
# /var touched) with everything under a fresh temporary folder: its configuration, a
# self-signed TLS certificate made with openssl, the maildirs, the logs. Every user
# name logs in with the one test password (a static passdb), and each user gets a
# maildir of its own, so every test can take a fresh mailbox by taking a fresh name.
# Two ports: implicit TLS (IMAPS) and plain IMAP that offers STARTTLS (logins only
# after STARTTLS). `followup_dovecot_stop` stops the server and removes the folder.
#
# If Dovecot does not start, sourcing this file returns 1 (running it exits 1):
# under `set -e`, as in .ci/run, that ends CI. FOLLOWUP_DOVECOT_BIN names the binary
# to use instead of searching (point it at a missing file to see the failure).

_followup_dovecot_main() {
    local bin="${FOLLOWUP_DOVECOT_BIN:-}"
    if [ -z "$bin" ]; then
        bin="$(command -v dovecot || true)"
        [ -z "$bin" ] && [ -x /usr/sbin/dovecot ] && bin=/usr/sbin/dovecot
        if [ -z "$bin" ]; then
            if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
                echo "dovecot.sh: no dovecot binary found and cannot apt-get install dovecot-imapd" >&2
                return 1
            fi
            echo "dovecot.sh: installing Debian's dovecot-imapd package" >&2
            DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
                DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >&2 || return 1
            bin=/usr/sbin/dovecot
        fi
    fi
    if [ ! -x "$bin" ]; then
        echo "dovecot.sh: $bin is not an executable dovecot" >&2
        return 1
    fi

    # Rootless: the master runs as this user (or, for root, as nobody) and so does every service.
    local runas="" user group uid gid
    if [ "$(id -u)" -eq 0 ]; then runas=nobody; fi
    user="${runas:-$(id -un)}"
    uid="$(id -u "$user")"
    gid="$(id -g "$user")"
    group="$(id -gn "$user")"

    local root port tls_port
    root="$(mktemp -d "${TMPDIR:-/tmp}/followup-dovecot.XXXXXX")" || return 1
    chmod 755 "$root"
    mkdir -p "$root/run" "$root/state" "$root/home"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" || return 1
    tls_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')" || return 1

    openssl req -x509 -newkey rsa:2048 -nodes -days 3 -subj "/CN=localhost" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$root/key.pem" -out "$root/cert.pem" >"$root/openssl.log" 2>&1 ||
        { cat "$root/openssl.log" >&2; return 1; }

    local password
    password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')" || return 1
    cat >"$root/dovecot.conf" <<EOF
# a throwaway test server made by .ci/dovecot.sh; nothing here is for production
base_dir = $root/run
state_dir = $root/state
instance_name = followup-test-$tls_port
log_path = $root/dovecot.log
info_log_path = $root/dovecot.log
default_internal_user = $user
default_internal_group = $group
default_login_user = $user
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <$root/cert.pem
ssl_key = <$root/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {
  driver = static
  args = password=$password
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$root/home/%u
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = create
  }
}
service imap-login {
  chroot =
  user = $user
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
}
service anvil {
  chroot =
}
service stats {
  chroot =
}
service auth {
  user = $user
}
service auth-worker {
  user = $user
}
service imap {
  user = $user
}
EOF
    [ -n "$runas" ] && chown -R "$runas" "$root"
    _followup_dovecot_as() {
        if [ -n "$runas" ]; then
            su -s /bin/sh "$runas" -c "$(printf '%q ' "$@")"
        else
            "$@"
        fi
    }
    _followup_dovecot_as "$bin" -c "$root/dovecot.conf" >"$root/start.log" 2>&1 ||
        { cat "$root/start.log" "$root/dovecot.log" >&2 2>/dev/null; return 1; }

    # ready once the TLS port answers with an IMAP greeting
    if ! python3 - "$tls_port" <<'PY'
import socket, ssl, sys, time
port = int(sys.argv[1])
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
for _ in range(200):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as raw, context.wrap_socket(raw) as tls:
            if tls.recv(100).startswith(b"* OK"):
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit(1)
PY
    then
        echo "dovecot.sh: Dovecot did not answer on 127.0.0.1:$tls_port" >&2
        cat "$root/dovecot.log" >&2 2>/dev/null
        return 1
    fi

    FOLLOWUP_TEST_IMAP_HOST=127.0.0.1
    FOLLOWUP_TEST_IMAP_PORT="$tls_port"
    FOLLOWUP_TEST_IMAP_STARTTLS_PORT="$port"
    FOLLOWUP_TEST_IMAP_PASSWORD="$password"
    FOLLOWUP_TEST_IMAP_CA="$root/cert.pem"
    FOLLOWUP_TEST_IMAP_ROOT="$root"
    export FOLLOWUP_TEST_IMAP_HOST FOLLOWUP_TEST_IMAP_PORT FOLLOWUP_TEST_IMAP_STARTTLS_PORT \
        FOLLOWUP_TEST_IMAP_PASSWORD FOLLOWUP_TEST_IMAP_CA FOLLOWUP_TEST_IMAP_ROOT
    _FOLLOWUP_DOVECOT_BIN="$bin"
    _FOLLOWUP_DOVECOT_RUNAS="$runas"
    echo "dovecot.sh: Dovecot ($bin) on 127.0.0.1:$tls_port (TLS) and :$port (STARTTLS), as $user" >&2
}

followup_dovecot_stop() {
    local root="${FOLLOWUP_TEST_IMAP_ROOT:-}"
    [ -n "$root" ] && [ -f "$root/dovecot.conf" ] && [ -n "${_FOLLOWUP_DOVECOT_BIN:-}" ] || return 0
    local pid=""
    [ -f "$root/run/master.pid" ] && pid="$(cat "$root/run/master.pid")"
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    fi
    rm -rf "$root"
    _FOLLOWUP_DOVECOT_BIN=""
}

if [ -n "${FOLLOWUP_TEST_IMAP_HOST:-}" ]; then
    echo "dovecot.sh: using FOLLOWUP_TEST_IMAP_HOST from the environment" >&2
elif ! _followup_dovecot_main; then
    echo "dovecot.sh: could not start Dovecot" >&2
    # shellcheck disable=SC2317
    return 1 2>/dev/null || exit 1
fi

# Executed rather than sourced: print the variables for the caller to export.
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ -n "${FOLLOWUP_TEST_IMAP_HOST:-}" ]; then
    for name in HOST PORT STARTTLS_PORT PASSWORD CA ROOT; do
        variable="FOLLOWUP_TEST_IMAP_$name"
        echo "export $variable=${!variable}"
    done
fi
