#!/usr/bin/env bash
# Set everything up and run the workbench.
#   bash scripts/demo.sh        headless demo on a sample project (works with no display)
#   bash scripts/demo.sh gui    the desktop app (needs a display; under Xvfb: xvfb-run)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-demo}" = gui ]; then
  WORKBENCH_WITH_X11=1 bash scripts/setup.sh
  exec .venv/bin/workbench gui "${2:-}"
fi
bash scripts/setup.sh
WB=.venv/bin/workbench
DEMO="$(mktemp -d)/penguins"
cp -r sample_projects/penguins_sex "$DEMO"
echo; echo "== Demo project copied to $DEMO"
set -x
$WB data profile "$DEMO" penguins
$WB train "$DEMO" penguins --target sex --algorithm xgboost --param n_estimators=200 --cv 5
$WB train "$DEMO" penguins --target sex --algorithm random_forest
$WB runs "$DEMO"
RUN="$($WB runs "$DEMO" --json | .venv/bin/python -c 'import json,sys; print(json.load(sys.stdin)[0]["run_id"])')"
$WB show "$DEMO" "$RUN"
$WB export "$DEMO" "$RUN"
$WB predict --model "$DEMO/runs/$RUN/model.onnx" "$DEMO/data/penguins.csv" -o "$DEMO/predictions.csv"
head -3 "$DEMO/predictions.csv"
