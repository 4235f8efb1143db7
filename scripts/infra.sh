#!/usr/bin/env bash
# Ensures PostgreSQL, Redis and RabbitMQ answer on localhost: starts them when installed,
# installs them (Debian/Ubuntu, apt) when not. Creates the `moji` role and database.
# Idempotent: a second run only checks.
#
#   scripts/infra.sh            # Postgres, Redis, RabbitMQ
#   scripts/infra.sh --with-s3  # ... plus an S3-compatible server for tests (moto)
#   scripts/infra.sh --with-vision  # ... plus the OpenCV packages the inference worker links
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

with_s3=0
with_vision=0
for arg in "$@"; do
  case "$arg" in
    --with-s3) with_s3=1 ;;
    --with-vision) with_vision=1 ;;
    *) die "unknown option $arg (use --with-s3, --with-vision)" ;;
  esac
done

command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain (rustup) first"

# Build prerequisites of our -sys crates (diesel's libpq, TLS for object_store/reqwest is rustls;
# llama-cpp-sys-2, under moji-llm, builds its vendored llama.cpp with cmake and generates its
# bindings with libclang).
apt_install libpq-dev pkg-config python3-venv curl ca-certificates cmake clang libclang-dev mold

# --- PostgreSQL -------------------------------------------------------------
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    apt_install postgresql
  fi
  ver="$(ls /etc/postgresql | sort -V | tail -n1)"
  say "starting PostgreSQL $ver"
  as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  wait_for pg_up 30 || die "PostgreSQL did not come up on 127.0.0.1:5432"
fi
# The `moji` role authenticates by password, so it works under Debian's default scram auth as
# well as under trust auth. CREATEDB lets tests clone their own databases.
psql_admin() { as_root runuser -u postgres -- psql -qAt -v ON_ERROR_STOP=1 "$@"; }
if ! psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'moji'" | grep -q 1; then
  say "creating PostgreSQL role moji"
  psql_admin -c "CREATE ROLE moji LOGIN CREATEDB PASSWORD 'moji'"
fi
if ! psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'moji'" | grep -q 1; then
  say "creating database moji"
  psql_admin -c "CREATE DATABASE moji OWNER moji"
elif ! psql_admin -c "SELECT 1 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = 'moji' AND r.rolname = 'moji'" | grep -q 1; then
  # Since PostgreSQL 15 only the database owner may create tables in `public`.
  say "making moji the owner of database moji"
  psql_admin -c "ALTER DATABASE moji OWNER TO moji"
fi

# --- Redis ------------------------------------------------------------------
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }
if ! { command -v redis-cli >/dev/null && redis_up; }; then
  command -v redis-server >/dev/null || apt_install redis-server
  if ! redis_up; then
    say "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/moji.log
    wait_for redis_up 15 || die "Redis did not come up on 127.0.0.1:6379"
  fi
fi

# --- RabbitMQ ---------------------------------------------------------------
amqp_up() { (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; }
if ! amqp_up; then
  command -v rabbitmq-server >/dev/null || apt_install rabbitmq-server
  if ! amqp_up; then
    say "starting RabbitMQ"
    as_root rabbitmq-server -detached || true
    wait_for amqp_up 90 || die "RabbitMQ did not come up on 127.0.0.1:5672"
  fi
fi
as_root rabbitmqctl await_startup --timeout 60 >/dev/null 2>&1 || warn "rabbitmqctl await_startup failed"

# --- optional parts ---------------------------------------------------------
if [ "$with_s3" -eq 1 ]; then
  "$MOJI_ROOT/scripts/s3-server.sh"
fi
if [ "$with_vision" -eq 1 ] && [ -f "$MOJI_ROOT/scripts/lib/vision-deps.txt" ]; then
  mapfile -t vision_pkgs < <(grep -v '^\s*#' "$MOJI_ROOT/scripts/lib/vision-deps.txt" | grep -v '^\s*$')
  apt_install "${vision_pkgs[@]}"
fi

say "infrastructure ready: PostgreSQL :5432 (db moji), Redis :6379, RabbitMQ :5672"
