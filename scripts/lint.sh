#!/usr/bin/env bash
# The house rules, checked by tools (docs/architecture.md, "How the rules are
# checked"): import contracts, lint with zero findings, types of the engine.
# Runs before the tests in scripts/test.sh and .ci/run; installed by the
# `test` extra.  Usage: bash scripts/lint.sh   (after scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${WORKBENCH_VENV:-.venv}/bin"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
echo "lint: import contracts (lint-imports)"
"$BIN/lint-imports" --no-cache >/dev/null || "$BIN/lint-imports" --no-cache
echo "lint: ruff"
"$BIN/ruff" check --quiet .
echo "lint: mypy (workbench/engine)"
"$BIN/mypy" --no-error-summary
echo "lint: all clean"
