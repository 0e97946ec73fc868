#!/usr/bin/env bash
# Install winback into ./.venv, building the embedded model's runtime the way
# these machines need it. Usage: scripts/setup.sh [dev]
#
# llama-cpp-python has no wheel on the registry and builds from source. Built
# with its default native CPU flags it segfaults in decode on these machines,
# so we build it once with portable flags into a wheelhouse keyed by version and
# flags (~/.cache/winback/wheels/KEY) and install only from there. pip's own
# wheel cache is never consulted for it: a broken native wheel left there by a
# bare `pip install` cannot be picked up by accident.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${WINBACK_VENV:-.venv}"
EXTRAS="${1:-}"
LLAMA_VERSION="0.3.36"
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "winback needs Python >= 3.11; set PYTHON=/path/to/python3.11 and re-run." >&2
  exit 2
fi
if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

KEY="$(printf '%s %s' "$LLAMA_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)"
WHEELHOUSE="${XDG_CACHE_HOME:-$HOME/.cache}/winback/wheels/$KEY"
if ! ls "$WHEELHOUSE"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
  echo "==> building llama-cpp-python $LLAMA_VERSION with portable CPU flags"
  echo "    (about 5 minutes on 2 cores, once per machine; cached in $WHEELHOUSE)"
  rm -rf "$WHEELHOUSE.tmp"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "${PIP[@]}" wheel --quiet --no-cache-dir --no-deps \
    -w "$WHEELHOUSE.tmp" "llama-cpp-python==$LLAMA_VERSION"
  mkdir -p "$(dirname "$WHEELHOUSE")"
  rm -rf "$WHEELHOUSE" && mv "$WHEELHOUSE.tmp" "$WHEELHOUSE"
fi

TARGET="."
[ "$EXTRAS" = "dev" ] && TARGET=".[dev]"
echo "==> installing winback${EXTRAS:+ with $EXTRAS tools} into $VENV"
"${PIP[@]}" install --quiet --find-links "$WHEELHOUSE" --only-binary llama-cpp-python \
  -e "$TARGET"
echo "==> done: $VENV/bin/winback"
