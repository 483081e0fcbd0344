#!/usr/bin/env bash
# Run every benchmark one after the other (never two at once), full size,
# logging each to bench/_data/logs/.  Usage: bench/run_all.sh [QUICK]
# QUICK=1 uses fewer repeats (what the first RESULTS.md was measured with).
set -u
cd "$(dirname "$0")/.."
PY=.venv/bin/python
LOG=bench/_data/logs
mkdir -p "$LOG"
export QT_QPA_PLATFORM=offscreen
R=${REPEATS:-3}
run() {  # name, timeout, command...
  local name=$1 limit=$2; shift 2
  echo "== $name $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
  timeout "$limit" "$@" > "$LOG/$name.out" 2> "$LOG/$name.err"
  echo "   rc $? $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
}
run engine_overhead_fast 5400 $PY bench/engine_overhead.py --cases xgboost,hist_gb,logreg --repeats "$R" ${WAIT:+--wait}
run engine_overhead_rf 5400 $PY bench/engine_overhead.py --cases random_forest --repeats "${RF_REPEATS:-$R}"
run cold_start 900 $PY bench/cold_start.py --repeats 10 --importtime
run load_profile 1800 $PY bench/load_profile.py --repeats "$R"
run inference 3600 $PY bench/inference.py --repeats "$R" --tune
run gui_responsiveness 3600 $PY bench/gui_responsiveness.py --repeats "${GUI_REPEATS:-$R}"
run orange_peer 3600 $PY bench/orange_peer.py --repeats "${RF_REPEATS:-$R}"
