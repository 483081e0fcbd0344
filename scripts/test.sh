#!/usr/bin/env bash
# Set everything up, check the house rules, then run the whole test suite
# (engine, CLI, GUI offscreen).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The house rules first (import contracts, ruff, mypy: scripts/lint.sh), on a
# whole-suite run; `scripts/test.sh tests/x.py` runs only those tests.
if [ $# -eq 0 ] && [ "${WORKBENCH_SKIP_LINT:-0}" != 1 ]; then
  bash scripts/lint.sh
fi
export QT_QPA_PLATFORM=offscreen
# Tests run on 2 cores next to nothing else; keep BLAS/OpenMP from fighting.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
export WORKBENCH_DEVICE="${WORKBENCH_DEVICE:-}"
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
