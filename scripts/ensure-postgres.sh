#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at $PGHOST:$PGPORT (default 127.0.0.1:5432) for
# the role postgres without a password, which is what `make run` and the tests expect.
#
# In order, it:
#   1. does nothing if such a server already answers;
#   2. starts the Debian cluster if one is installed but stopped (pg_ctlcluster);
#   3. otherwise runs a private cluster of the project's own under .amity/pgdata, with
#      trust authentication on the loopback address only, installing Debian's
#      postgresql package first if no PostgreSQL binaries are on the machine and we are
#      root (apt-get); if none of that is possible it says what to install.
set -euo pipefail

host=${PGHOST:-127.0.0.1}
port=${PGPORT:-5432}
root=$(cd "$(dirname "$0")/.." && pwd)
pgdata=${AMITY_PGDATA:-$root/.amity/pgdata}

answers() {
	command -v psql >/dev/null 2>&1 || return 1
	psql "host=$host port=$port user=postgres dbname=postgres connect_timeout=3" -Atqc 'select 1' >/dev/null 2>&1
}

wait_until_answers() {
	for _ in $(seq 1 60); do
		answers && return 0
		sleep 0.5
	done
	return 1
}

if answers; then
	exit 0
fi

# 2. A Debian cluster that is installed but not running (as after a reboot).
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
	version=$(ls /etc/postgresql | sort -V | tail -n1)
	echo "ensure-postgres: starting PostgreSQL $version cluster 'main'" >&2
	if pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start 2>/dev/null; then
		if wait_until_answers; then
			exit 0
		fi
		echo "ensure-postgres: the cluster runs but does not accept role postgres without a password on $host:$port; using a private cluster instead" >&2
	fi
fi

# 3. A private cluster of our own.
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
if [ -z "$bindir" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "ensure-postgres: installing Debian's postgresql package" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq postgresql postgresql-client >/dev/null
	bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
	# The package may have started its own cluster already.
	if wait_until_answers; then
		exit 0
	fi
fi
if [ -z "$bindir" ]; then
	cat >&2 <<MSG
ensure-postgres: no PostgreSQL server answers at $host:$port and none is installed.
Install PostgreSQL 15 or newer (Debian/Ubuntu: sudo apt-get install postgresql), or point
DATABASE_URL (and AMITY_TEST_DATABASE_URL for the tests) at a server you have.
MSG
	exit 1
fi

# initdb and postgres refuse to run as root: run them as the postgres system user.
as_owner=()
if [ "$(id -u)" = 0 ]; then
	id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
	as_owner=(runuser -u postgres --)
fi
mkdir -p "$pgdata"
if [ "$(id -u)" = 0 ]; then chown -R postgres "$(dirname "$pgdata")"; fi
if [ ! -s "$pgdata/PG_VERSION" ]; then
	echo "ensure-postgres: creating a private cluster in $pgdata" >&2
	"${as_owner[@]}" "$bindir/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
fi
echo "ensure-postgres: starting the private cluster on $host:$port" >&2
"${as_owner[@]}" "$bindir/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w -t 60 \
	-o "-c listen_addresses=$host -p $port -k $pgdata" start >/dev/null
wait_until_answers || { echo "ensure-postgres: the private cluster did not come up; see $pgdata/server.log" >&2; exit 1; }
