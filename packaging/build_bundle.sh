#!/usr/bin/env bash
# Build the one-folder desktop bundle: dist/workbench/workbench (GUI + CLI).
#
#   bash packaging/build_bundle.sh            build (installs PyInstaller >= 6 into the venv if missing)
#   bash packaging/build_bundle.sh --check    build, then run the bundle's self-test
#                                             (dist/workbench/workbench --selftest)
#
# Uses the project venv (.venv, or $WORKBENCH_VENV); run scripts/setup.sh first
# on a fresh machine.  The bundle contains Python, every library, the icons and
# the sample projects; see packaging/README.md for what the target machine
# still needs from its OS.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${WORKBENCH_VENV:-.venv}"
PY="$VENV/bin/python"
[ -x "$PY" ] || { echo "build_bundle: no venv at $VENV: run 'bash scripts/setup.sh' first" >&2; exit 1; }

if ! "$PY" -c 'import PyInstaller, sys; sys.exit(0 if int(PyInstaller.__version__.split(".")[0]) >= 6 else 1)' 2>/dev/null; then
  echo "build_bundle: installing pyinstaller>=6 into $VENV"
  "$PY" -m pip install -q "pyinstaller>=6"
fi

start=$(date +%s)
# Thread caps: the analysis imports scikit-learn/xgboost; keep it polite on small machines.
OMP_NUM_THREADS=1 "$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/workbench.spec
end=$(date +%s)

exe=dist/workbench/workbench
[ -x "$exe" ] || exe=dist/workbench/workbench.exe
echo "build_bundle: built $exe in $((end - start)) s; size $(du -sh dist/workbench | cut -f1)"

if [ "${1:-}" = --check ]; then
  "$exe" --version
  "$exe" algorithms >/dev/null
  # Train inline and in a worker process (spawn re-runs this executable),
  # export ONNX and predict with it, on a copy of a bundled sample.
  OMP_NUM_THREADS=1 "$exe" --selftest
fi
