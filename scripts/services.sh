#!/usr/bin/env bash
# Make sure PostgreSQL (127.0.0.1:5432, trust, database "test"), Redis (6379) and
# Mosquitto (1883) answer. Start them when installed but stopped; install them from
# Debian's packages on a fresh machine. Sourced by scripts/test.sh.
set -euo pipefail

have_port() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

wait_port() {
  for _ in $(seq 1 60); do have_port "$1" && return 0; sleep 0.5; done
  echo "services: nothing answers on port $1" >&2; return 1
}

ensure_postgres() {
  if ! have_port 5432; then
    if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
      echo "services: installing PostgreSQL" >&2
      apt_install postgresql
    fi
    local version; version=$(ls /etc/postgresql | sort -V | tail -1)
    local hba="/etc/postgresql/$version/main/pg_hba.conf"
    if ! grep -q "courtyard-trust" "$hba"; then
      # Local test server only: trust connections from this machine.
      sed -i '1i # courtyard-trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\nlocal all all trust' "$hba"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    wait_port 5432
  fi
  if ! psql -h 127.0.0.1 -U postgres -d test -c "select 1" >/dev/null 2>&1; then
    psql -h 127.0.0.1 -U postgres -c "create database test" >/dev/null 2>&1 \
      || su postgres -c "psql -c 'create database test'" >/dev/null
  fi
}

ensure_redis() {
  have_port 6379 && return 0
  command -v redis-server >/dev/null || { echo "services: installing Redis" >&2; apt_install redis-server; }
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_port 6379
}

ensure_mosquitto() {
  have_port 1883 && return 0
  command -v mosquitto >/dev/null || { echo "services: installing Mosquitto" >&2; apt_install mosquitto; }
  mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_port 1883
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  echo "services: installing Chromium" >&2
  apt_install chromium fonts-noto-cjk
}

ensure_fonts() {
  # CJK glyphs for PDFs and charts (receipts, statements) and browser screenshots.
  # WenQuanYi Micro Hei renders receipts ~5x faster than Noto CJK.
  ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 \
    && ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 && return 0
  echo "services: installing CJK fonts" >&2
  apt_install fonts-noto-cjk fonts-wqy-microhei
}
