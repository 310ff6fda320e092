#!/usr/bin/env bash
# Install and start the real database servers the test suite runs against:
# PostgreSQL, MariaDB and Redis from Debian packages, on 127.0.0.1 only, and
# Chromium with its WebDriver for the browser test.
#
# Safe to run again: a server that already answers is left alone, packages
# that are installed are not reinstalled. Works without systemd (containers,
# CI runners). Needs root, or sudo.
#
# Afterwards the test login "toolkit" (password "toolkit") may create
# databases, matching the defaults in tests/_servers.py:
#   TOOLKIT_TEST_POSTGRES_URL=postgresql+psycopg://toolkit:toolkit@127.0.0.1:5432/postgres
#   TOOLKIT_TEST_MYSQL_URL=mysql+pymysql://toolkit:toolkit@127.0.0.1:3306/mysql
#   TOOLKIT_TEST_REDIS_URL=redis://127.0.0.1:6379/0
#
# These are throw-away test servers: durability is switched off for speed.
set -euo pipefail

HOST=127.0.0.1
PG_PORT=5432
MY_PORT=3306
REDIS_PORT=6379
USER_NAME=toolkit
USER_PASS=toolkit

if [ "$(id -u)" = 0 ]; then
    SUDO=()
    as_user() { local u=$1; shift; runuser -u "$u" -- "$@"; }
else
    SUDO=(sudo)
    as_user() { local u=$1; shift; sudo -u "$u" -- "$@"; }
fi

log() { printf '==> %s\n' "$*"; }

# Wait up to $1 seconds for the command that follows to succeed.
wait_for() {
    local seconds=$1; shift
    local i
    for ((i = 0; i < seconds * 4; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.25
    done
    "$@"  # one last time, showing its error
}

# --- packages ---------------------------------------------------------------
# chromium + chromium-driver: the demo page's browser test (tests/test_demo_browser.py).
PACKAGES=(postgresql mariadb-server redis-server chromium chromium-driver)
missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$pkg")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
    log "packages already installed: ${PACKAGES[*]}"
fi

# --- PostgreSQL -------------------------------------------------------------
PG_VERSION=$(ls /usr/lib/postgresql | sort -n | tail -1)
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$PG_VERSION main"; then
    log "creating PostgreSQL $PG_VERSION cluster 'main'"
    "${SUDO[@]}" pg_createcluster --port "$PG_PORT" "$PG_VERSION" main
fi
PG_CONF_DIR=/etc/postgresql/$PG_VERSION/main/conf.d
"${SUDO[@]}" mkdir -p "$PG_CONF_DIR"
"${SUDO[@]}" tee "$PG_CONF_DIR/90-toolkit-tests.conf" >/dev/null <<EOF
# written by flask-toolkit .ci/servers.sh: loopback only, test-speed settings
listen_addresses = '$HOST'
port = $PG_PORT
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
if "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT"; then
    log "PostgreSQL $PG_VERSION already running"
else
    log "starting PostgreSQL $PG_VERSION"
    # pg_ctlcluster calls pg_ctl directly when systemd is not running.
    "${SUDO[@]}" pg_ctlcluster "$PG_VERSION" main start
    wait_for 30 "$PG_BIN/pg_isready" -q -h "$HOST" -p "$PG_PORT"
fi
as_user postgres psql -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres <<EOF
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
        CREATE ROLE $USER_NAME LOGIN CREATEDB PASSWORD '$USER_PASS';
    ELSE
        ALTER ROLE $USER_NAME LOGIN CREATEDB PASSWORD '$USER_PASS';
    END IF;
END
\$\$;
EOF

# --- MariaDB ----------------------------------------------------------------
"${SUDO[@]}" tee /etc/mysql/mariadb.conf.d/90-toolkit-tests.cnf >/dev/null <<EOF
# written by flask-toolkit .ci/servers.sh: loopback only, test-speed settings
[mariadbd]
bind-address = $HOST
port = $MY_PORT
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
skip-log-bin
EOF
my_ping() { mysqladmin --protocol=tcp -h "$HOST" -P "$MY_PORT" --connect-timeout=2 ping; }
if my_ping >/dev/null 2>&1 || mysqladmin --connect-timeout=2 status >/dev/null 2>&1; then
    log "MariaDB already running"
else
    log "starting MariaDB"
    if [ ! -d /var/lib/mysql/mysql ]; then
        "${SUDO[@]}" mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    "${SUDO[@]}" install -d -o mysql -g mysql /run/mysqld
    # setsid + all fds redirected: the server outlives this script and holds no
    # pipe of whoever called it (e.g. `.ci/run | tee log`).
    "${SUDO[@]}" setsid mysqld_safe --user=mysql \
        </dev/null >/tmp/toolkit-mysqld_safe.log 2>&1 &
    wait_for 60 my_ping
fi
# Root logs in through the unix socket (Debian's default unix_socket auth).
"${SUDO[@]}" mariadb --protocol=socket -u root <<EOF
CREATE USER IF NOT EXISTS '$USER_NAME'@'localhost' IDENTIFIED BY '$USER_PASS';
CREATE USER IF NOT EXISTS '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$USER_PASS';
ALTER USER '$USER_NAME'@'localhost' IDENTIFIED BY '$USER_PASS';
ALTER USER '$USER_NAME'@'127.0.0.1' IDENTIFIED BY '$USER_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'localhost';
GRANT ALL PRIVILEGES ON *.* TO '$USER_NAME'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF

# --- Redis ------------------------------------------------------------------
if redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    log "Redis already running"
else
    log "starting Redis"
    "${SUDO[@]}" install -d -o redis -g redis /var/lib/redis /var/log/redis 2>/dev/null \
        || "${SUDO[@]}" mkdir -p /var/lib/redis /var/log/redis
    "${SUDO[@]}" redis-server --bind "$HOST" --port "$REDIS_PORT" --protected-mode yes \
        --daemonize yes --dir /var/lib/redis --save '' --appendonly no \
        --logfile /var/log/redis/toolkit-tests.log
    wait_for 30 redis-cli -h "$HOST" -p "$REDIS_PORT" ping
fi

# --- show each server answering, with the test login -------------------------
log "servers answering on $HOST:"
"$PG_BIN/pg_isready" -h "$HOST" -p "$PG_PORT"
PGPASSWORD=$USER_PASS psql -X -A -t -h "$HOST" -p "$PG_PORT" -U "$USER_NAME" -d postgres \
    -c "SELECT 'postgresql login ok: ' || current_user || ', ' || version()"
mysqladmin --protocol=tcp -h "$HOST" -P "$MY_PORT" -u "$USER_NAME" -p"$USER_PASS" ping
mariadb --protocol=tcp -h "$HOST" -P "$MY_PORT" -u "$USER_NAME" -p"$USER_PASS" -N -B \
    -e "SELECT CONCAT('mariadb login ok: ', CURRENT_USER(), ', ', VERSION())"
printf 'redis-cli ping: %s\n' "$(redis-cli -h "$HOST" -p "$REDIS_PORT" ping)"
