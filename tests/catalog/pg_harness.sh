#!/bin/sh
# pg_harness.sh COMMAND [ARGS...]
#
# Runs COMMAND against a throwaway PostgreSQL 15 cluster: initdb in a fresh temp directory,
# listen on 127.0.0.1 at a random free port (unix socket in the temp dir, password auth over TCP),
# export I2I_TEST_PG_URI=postgresql://postgres:<random password>@127.0.0.1:<port>/postgres (and
# I2I_TEST_PG_DATA, I2I_TEST_PG_BIN, I2I_TEST_PG_OPTS for pg_ctl), run COMMAND, and stop and delete the cluster on
# every exit path (normal exit, failure, signals).
# As root the server runs as user `postgres` (initdb refuses root); otherwise as the caller.
# Exits with COMMAND's status; fails (status 1) with a clear message when PostgreSQL is missing.
set -u

PGBIN=${I2I_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
for tool in initdb pg_ctl postgres; do
    if [ ! -x "$PGBIN/$tool" ]; then
        echo "pg_harness: FAIL: PostgreSQL 15 server binary '$PGBIN/$tool' not found." >&2
        echo "pg_harness: install the 'postgresql' package (make test does: scripts/install-deps.sh)" >&2
        exit 1
    fi
done

if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        echo "pg_harness: FAIL: running as root but there is no 'postgres' user to run the server" >&2
        exit 1
    fi
    as_pg() { su postgres -s /bin/sh -c "$1"; }
else
    as_pg() { /bin/sh -c "$1"; }
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/i2i-pg-XXXXXX") || { echo "pg_harness: mktemp failed" >&2; exit 1; }
started=0

child=
cleanup() {
    if [ -n "$child" ]; then
        kill "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    if [ "$started" = 1 ]; then
        as_pg "'$PGBIN/pg_ctl' -D '$tmp/data' -m immediate -w -t 30 stop" >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap 'cleanup' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] && chown postgres "$tmp"
chmod 700 "$tmp"

password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
as_pg "umask 077; printf '%s\n' '$password' > '$tmp/pwfile'"

if ! as_pg "'$PGBIN/initdb' -D '$tmp/data' -U postgres --pwfile='$tmp/pwfile' \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale" >"$tmp/initdb.log" 2>&1; then
    echo "pg_harness: FAIL: initdb failed:" >&2
    cat "$tmp/initdb.log" >&2
    exit 1
fi

# A random port; pg_ctl start fails when it is taken, so try a few.
port=
for attempt in 1 2 3 4 5 6 7 8; do
    candidate=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
    opts="-c listen_addresses=127.0.0.1 -p $candidate -k '$tmp' -c fsync=off \
          -c synchronous_commit=off -c full_page_writes=off"
    if as_pg "'$PGBIN/pg_ctl' -D '$tmp/data' -l '$tmp/server.log' -w -t 60 -o \"$opts\" start" \
            >/dev/null 2>&1; then
        port=$candidate
        started=1
        break
    fi
    # a failed start may still have left a postmaster behind
    as_pg "'$PGBIN/pg_ctl' -D '$tmp/data' -m immediate -w stop" >/dev/null 2>&1
done
if [ -z "$port" ]; then
    echo "pg_harness: FAIL: could not start PostgreSQL; server log:" >&2
    cat "$tmp/server.log" >&2 2>/dev/null
    exit 1
fi

I2I_TEST_PG_URI="postgresql://postgres:$password@127.0.0.1:$port/postgres"
# The data directory and binaries too, for tests that restart or stop the server mid-run
# (pg_ctl restart reuses the options above from postmaster.opts; start needs -o again).
I2I_TEST_PG_DATA="$tmp/data"
I2I_TEST_PG_BIN="$PGBIN"
I2I_TEST_PG_OPTS=$opts  # pg_ctl start does not reuse them: pass -o "$I2I_TEST_PG_OPTS"
export I2I_TEST_PG_URI I2I_TEST_PG_DATA I2I_TEST_PG_BIN I2I_TEST_PG_OPTS
echo "pg_harness: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($tmp)"

# In the background so that a signal to this script interrupts `wait` at once (a foreground
# child would delay the trap until it exits); cleanup then stops the child too.
"$@" &
child=$!
wait "$child"
status=$?
child=
if [ "$status" != 0 ]; then
    echo "pg_harness: command failed with status $status; server log tail:" >&2
    tail -n 20 "$tmp/server.log" >&2 2>/dev/null
fi
exit "$status"
