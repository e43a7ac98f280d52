#!/usr/bin/env bash
# Set up everything the tests need and run them: the README's test command.
#   1. Python packages from the lock file (uv), 2. PostgreSQL, Redis, Mosquitto,
#   Chromium (started, or installed from Debian's packages on a fresh machine),
#   3. lint, types, translations, 4. the suite on SQLite, then again on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.local/bin:$PATH"

if ! command -v uv >/dev/null; then
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet --break-system-packages --user uv
fi
uv sync --frozen --quiet --compile-bytecode
# Our own modules too: where PYTHONDONTWRITEBYTECODE is set (this machine, CI) every
# process would otherwise compile them again at start (docs/performance.md).
uv run --frozen python -m compileall -q -j 0 bot core handlers access >/dev/null

source scripts/services.sh
ensure_postgres
ensure_redis
ensure_mosquitto
ensure_fonts
ensure_chromium

echo "== lint, format, types, translations"
uv run ruff check .
uv run ruff format --check .
uv run mypy
uv run python -m bot.i18n_tools check

mkdir -p test-artifacts
echo "== tests on SQLite"
uv run pytest -q -p no:cacheprovider "$@"
echo "== tests on PostgreSQL"
COURTYARD_TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/test" \
  uv run pytest -q -p no:cacheprovider -m "not browser and not faces" "$@"
