#!/usr/bin/env bash
# Set up and start Courtyard on its embedded defaults (SQLite, simulated doors).
# Once the sandbox lands this starts it: no bot token needed.
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
if uv run courtyard --help | grep -q "sandbox"; then
  exec uv run courtyard sandbox "$@"
fi
exec uv run courtyard run "$@"
