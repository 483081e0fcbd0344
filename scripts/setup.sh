#!/usr/bin/env bash
# Set up everything the workbench needs on a fresh Debian-like machine:
# Qt's system libraries (when we can install them), a Python >= 3.12 venv in
# .venv, and the package with its CPU XGBoost and test extras.
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${WORKBENCH_VENV:-.venv}"
EXTRAS="${WORKBENCH_EXTRAS:-cpu,boosting,test}"

# --- Qt's system libraries (docs/findings.md: what a bare Debian 12 lacks) -------
QT_OFFSCREEN_PKGS="libglib2.0-0 libgl1 libegl1 libxkbcommon0 libfontconfig1 libdbus-1-3"
QT_X11_PKGS="xvfb xauth libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-shape0"
# A non-root user's PATH has no /sbin, so `ldconfig` alone is not found there:
# use its full path, else look in the usual library folders.
LDCONFIG="$(command -v ldconfig 2>/dev/null || true)"
for c in /sbin/ldconfig /usr/sbin/ldconfig; do [ -n "$LDCONFIG" ] || { [ -x "$c" ] && LDCONFIG="$c"; }; done
LIBCACHE="$( { [ -n "$LDCONFIG" ] && "$LDCONFIG" -p 2>/dev/null; } || true)"
have_lib() {
  if [ -n "$LIBCACHE" ]; then
    grep -q "$1" <<<"$LIBCACHE"
  else
    compgen -G "/usr/lib/*/$1" >/dev/null || compgen -G "/lib/*/$1" >/dev/null || compgen -G "/usr/lib/$1" >/dev/null
  fi
}
need_libs() {
  for lib in libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libglib-2.0.so.0 libdbus-1.so.3; do
    have_lib "$lib" || return 0
  done
  if [ "${WORKBENCH_WITH_X11:-0}" = 1 ]; then
    for lib in libxcb-cursor.so.0 libxkbcommon-x11.so.0 libxcb-icccm.so.4; do
      have_lib "$lib" || return 0
    done
    command -v Xvfb >/dev/null || return 0
  fi
  return 1
}
if need_libs; then
  pkgs="$QT_OFFSCREEN_PKGS"
  [ "${WORKBENCH_WITH_X11:-0}" = 1 ] && pkgs="$pkgs $QT_X11_PKGS"
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "setup: installing Qt system libraries: $pkgs"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  elif command -v apt-get >/dev/null && sudo -n true 2>/dev/null; then
    # sudo without a password prompt only (-n): set-up never stops to ask.
    echo "setup: installing Qt system libraries with sudo: $pkgs"
    sudo -n apt-get update -qq >/dev/null
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
  else
    echo "setup: warning: Qt may need these system libraries; the GUI will not start without them." >&2
    echo "setup:   sudo apt-get install $pkgs" >&2
  fi
fi

# --- a Python >= 3.12 -----------------------------------------------------------
# PySide6 6.12 aborts the interpreter on Python 3.11 (docs/findings.md).
find_python() {
  local c
  for c in "${PYTHON:-}" python3.12 "$HOME"/.pyenv/versions/3.12*/bin/python3 \
           python3.13 "$HOME"/.pyenv/versions/3.13*/bin/python3 python3 \
           /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -n "$c" ] || continue
    if "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
      command -v "$c" 2>/dev/null || echo "$c"
      return 0
    fi
  done
  return 1
}
if [ -n "${PYTHON:-}" ] && ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  echo "setup: error: the workbench needs Python >= 3.12; PYTHON=$PYTHON is $("$PYTHON" --version 2>&1 || echo 'not runnable')." >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
  PY="$(find_python)" || { echo "setup: error: the workbench needs Python >= 3.12 (PySide6 6.12 crashes on 3.11); found none. Install python3.12 and retry, or set PYTHON=/path/to/python3.12." >&2; exit 1; }
  echo "setup: creating $VENV with $PY"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
fi

# --- the package ------------------------------------------------------------
stamp="$VENV/.workbench-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing workbench[$EXTRAS] into $VENV (the first time downloads ~400 MB: 2-5 minutes)"
  log="$VENV/pip-install.log"
  # One line per package as pip goes (the full log is kept for errors).
  if ! "$VENV/bin/python" -m pip install --progress-bar off -e ".[$EXTRAS]" 2>&1 | tee "$log" \
      | { grep --line-buffered -E '^(Collecting|Successfully installed)' || true; } | sed -u 's/^/setup:   /'; then
    echo "setup: error: pip failed; the last lines of $log:" >&2
    tail -20 "$log" >&2
    exit 1
  fi
  touch "$stamp"
fi
echo "setup: ready ($("$VENV/bin/python" --version)). To use the workbench command in this shell:"
echo "    source $VENV/bin/activate && workbench --help"
