#!/usr/bin/env bash
# Download the workbench wheel and every dependency into one folder, for an
# offline install on a machine with no network (see packaging/README.md).
#
#   bash packaging/build_wheelhouse.sh [--gpu] [--python 3.12] [--platform TAG] OUTDIR
#
#   --gpu            XGBoost's CUDA build (`xgboost` + NCCL, ~400 MB) and nvidia-ml-py,
#                    instead of the default CPU-only `xgboost-cpu` (6 MB).
#   --python X.Y     target Python version (default: the venv's).
#   --platform TAG   target platform tag, repeatable (default: this machine's).
#                    Linux: manylinux_2_34_x86_64 (PySide6 6.12 needs glibc >= 2.34;
#                    manylinux2014_x86_64 alone finds no PySide6 6.12 wheel);
#                    Windows: win_amd64; macOS: macosx_13_0_arm64 / macosx_13_0_x86_64.
#
# Needs the package registry now (this is the online half); the offline half
# is `pip install --no-index --find-links OUTDIR 'workbench[cpu]'`, checked by
# packaging/offline_install_check.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${WORKBENCH_VENV:-.venv}"
PY="$VENV/bin/python"
[ -x "$PY" ] || PY="$(command -v python3.12 || command -v python3)"

variant=cpu python_version="" platforms=() outdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) variant=gpu ;;
    --cpu) variant=cpu ;;
    --python) python_version="$2"; shift ;;
    --platform) platforms+=("$2"); shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) echo "build_wheelhouse: unknown option $1" >&2; exit 2 ;;
    *) outdir="$1" ;;
  esac
  shift
done
[ -n "$outdir" ] || { echo "usage: build_wheelhouse.sh [--gpu] [--python X.Y] [--platform TAG] OUTDIR" >&2; exit 2; }
mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"

version="$("$PY" -c 'import re,sys; print(re.search(r"__version__ = \"(.+?)\"", open("workbench/__init__.py").read()).group(1))')"

# 1. The workbench wheel itself (pure Python: one wheel for every platform).
echo "build_wheelhouse: building workbench $version wheel"
rm -f "$outdir"/workbench-*.whl
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$outdir" .

# 2. Every dependency, as wheels for the target (binary only: the air-gapped
#    machine may have no compiler).
target=()
[ -n "$python_version" ] && target+=(--python-version "$python_version" --implementation cp)
# pip takes --platform literally: "manylinux_2_34_x86_64" does not match a
# manylinux_2_28 wheel that runs there.  Spell out every older glibc tag.
expand_platform() {
  if [[ "$1" =~ ^manylinux_2_([0-9]+)_(.+)$ ]]; then
    local glibc="${BASH_REMATCH[1]}" arch="${BASH_REMATCH[2]}" v
    for ((v = glibc; v >= 5; v--)); do echo "manylinux_2_${v}_${arch}"; done
    [ "$glibc" -ge 17 ] && echo "manylinux2014_${arch}"
    [ "$glibc" -ge 12 ] && echo "manylinux2010_${arch}"
    echo "manylinux1_${arch}"
  else
    echo "$1"
  fi
}
for p in "${platforms[@]}"; do
  for tag in $(expand_platform "$p"); do target+=(--platform "$tag"); done
done
echo "build_wheelhouse: downloading workbench[$variant] and its dependencies for ${platforms[*]:-this machine} ${python_version:+(Python $python_version)}"
# The requirement is our wheel *file* (with the extra), so a same-named
# project on the index can never stand in for it.
wheel="$(ls "$outdir"/workbench-"$version"-*.whl)"
"$PY" -m pip download --quiet --progress-bar off --only-binary=:all: --dest "$outdir" \
  "${target[@]}" "$wheel[$variant]"

py_label="${python_version:-$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}"
plat_label="${platforms[*]:-$("$PY" -c 'import sysconfig; print(sysconfig.get_platform())')}"
cat > "$outdir/README.txt" <<TXT
Training Workbench $version - offline wheelhouse
=================================================
Variant:   $variant  ($( [ $variant = gpu ] && echo "xgboost with CUDA + NCCL, nvidia-ml-py" || echo "xgboost-cpu: CPU-only XGBoost, no GPU" ))
Python:    $py_label
Platform:  $plat_label
Built:     $(date -u +%Y-%m-%dT%H:%MZ)

Install with no network (Python $py_label must be installed):

    python$py_label -m venv workbench-venv
    workbench-venv/bin/pip install --no-index --find-links . 'workbench[$variant]'
    workbench-venv/bin/workbench            # the desktop app
    workbench-venv/bin/workbench --help     # the command line

(Windows: workbench-venv\\Scripts\\pip.exe and workbench-venv\\Scripts\\workbench.exe.)

Install 'workbench[$variant]', not plain 'workbench': XGBoost comes in two
wheels that install the same module (xgboost-cpu, xgboost), so the package
leaves the choice to this extra.  Plain 'workbench' installs everything else
and the XGBoost algorithm is then missing; add it with
    pip install --no-index --find-links . $( [ $variant = gpu ] && echo "xgboost nvidia-ml-py" || echo "xgboost-cpu" )
Never install both xgboost and xgboost-cpu into one environment.
TXT
n=$(ls "$outdir"/*.whl | wc -l)
echo "build_wheelhouse: $n wheels, $(du -sh "$outdir" | cut -f1) in $outdir (see README.txt)"
