#!/usr/bin/env bash
# Prove that a wheelhouse installs and works with NO network at all.
#
#   bash packaging/offline_install_check.sh WHEELHOUSE
#
# Inside `unshare -n` (an empty network namespace: no interface but a downed
# loopback; needs root) it creates a fresh venv, installs 'workbench[cpu]'
# (or [gpu] for a --gpu wheelhouse) with `pip install --no-index --find-links
# WHEELHOUSE`, then runs `workbench algorithms` and a headless train, ONNX
# export and ONNX predict on a copy of a sample project.  The workbench
# commands also run under packaging/offline_guard.py, which records any
# attempt to open an IP socket.  pip's own configuration (extra indexes,
# find-links) is switched off so that every package comes from WHEELHOUSE.
# KEEP=1 keeps the work folder (venv, project, predictions) for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 1 ] && [ -d "$1" ] || { echo "usage: offline_install_check.sh WHEELHOUSE" >&2; exit 2; }
wheelhouse="$(cd "$1" && pwd)"
# A Python >= 3.12 that really runs (pyenv shims may exist and fail): $PYTHON,
# the interpreter behind the project venv, or one on PATH.
find_python() {
  local c
  for c in "${PYTHON:-}" "$(.venv/bin/python -c 'import sys; print(sys._base_executable)' 2>/dev/null)" \
           python3.13 python3.12 python3; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
      command -v "$c"; return 0
    fi
  done
  return 1
}
PYTHON="$(find_python)" || { echo "offline_install_check: needs Python >= 3.12 (set PYTHON=...)" >&2; exit 1; }
extra=cpu
ls "$wheelhouse"/xgboost_cpu-*.whl >/dev/null 2>&1 || extra=gpu

work="$(mktemp -d /tmp/offline-install.XXXXXX)"
cp -r sample_projects/penguins_sex "$work/project"
rm -rf "$work/project/runs" "$work/project/.workbench-cache"
"${PYTHON}" packaging/offline_guard.py >/dev/null  # the guard itself works
"${PYTHON}" -c "import importlib.util as u, sys; s=u.spec_from_file_location('g', 'packaging/offline_guard.py'); m=u.module_from_spec(s); s.loader.exec_module(m); m.write_sitecustomize(sys.argv[1])" "$work/site"

cat > "$work/inside.sh" <<INSIDE
set -euo pipefail
cd "$work"
echo "== network inside the namespace:"; (ip -brief addr 2>/dev/null || cat /proc/net/dev) | sed 's/^/   /'
if "$PYTHON" -c 'import socket; socket.create_connection(("pypi.org", 443), timeout=3)' 2>/dev/null; then
  echo "offline_install_check: the network is reachable; this check proves nothing" >&2; exit 1
fi
echo "== fresh venv with $PYTHON"
"$PYTHON" -m venv venv
echo "== pip install --no-index --find-links $wheelhouse 'workbench[$extra]'"
PIP_CONFIG_FILE=/dev/null venv/bin/pip install --quiet --no-index --find-links "$wheelhouse" "workbench[$extra]"
venv/bin/pip list 2>/dev/null | grep -i -E '^(workbench|xgboost|xgboost-cpu|pyside6[-_]essentials|scikit-learn|onnxruntime)[[:space:]]' | sed 's/^/   /'
export PYTHONPATH="$work/site" WORKBENCH_OFFLINE_LOG="$work/network-attempts.log" OMP_NUM_THREADS=1
echo "== workbench algorithms"
venv/bin/workbench algorithms > algorithms.txt && head -4 algorithms.txt && echo "   ... \$(wc -l < algorithms.txt) lines"
echo "== workbench train (xgboost) + export + predict --model"
venv/bin/workbench train project penguins --target sex --algorithm xgboost --param n_estimators=50 --threads 1 2>/dev/null
run=\$(venv/bin/workbench runs project --json | venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)[-1]["run_id"])')
venv/bin/workbench export project "\$run"
venv/bin/workbench predict --model "project/runs/\$run/model.onnx" project/data/penguins.csv -o predictions.csv
head -3 predictions.csv | sed 's/^/   /'
test ! -s network-attempts.log || { echo "offline_install_check: network attempts:"; cat network-attempts.log; exit 1; }
INSIDE

env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL \
  PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
  unshare -n bash "$work/inside.sh" || {
    rc=$?; [ "$(id -u)" = 0 ] || echo "offline_install_check: 'unshare -n' needs root (or run it as: sudo unshare -n ...)" >&2
    echo "offline_install_check: FAILED (work folder kept: $work)" >&2; exit $rc; }
echo "offline_install_check: PASSED with no network"
if [ "${KEEP:-0}" = 1 ]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
