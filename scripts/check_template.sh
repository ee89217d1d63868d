#!/usr/bin/env bash
# Generate a plugin package of each kind from the `avbench new-plugin` template, pip-install it
# into the current environment, run its own conformance tests and `avbench check` on it, then
# uninstall it. Exits non-zero on the first failure. Usage: scripts/check_template.sh [KIND ...]
# (default: every kind). PYTHON selects the interpreter (default: python).
set -euo pipefail

PYTHON=${PYTHON:-python}
KINDS=("$@")
if [ ${#KINDS[@]} -eq 0 ]; then
    KINDS=(dataset extractor model protocol augmenter fusion face_detector)
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/avbench-template-XXXXXX")
INSTALLED=()

cleanup() {
    for dist in "${INSTALLED[@]}"; do
        "$PYTHON" -m pip uninstall -q -y "$dist" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# The avbench command once the CLI has the sub-commands; the module entry points otherwise.
if avbench new-plugin --help >/dev/null 2>&1; then
    NEW=(avbench new-plugin); CHECK=(avbench check)
else
    NEW=("$PYTHON" -m avbench.scaffold); CHECK=("$PYTHON" -m avbench.testing)
fi

for kind in "${KINDS[@]}"; do
    name="template-${kind//_/-}"
    dist="avbench-$name"
    echo "== $kind: $dist"
    "${NEW[@]}" "$kind" "$name" --dest "$WORK"
    "$PYTHON" -m pip install -q --no-deps --no-build-isolation "$WORK/$dist"
    INSTALLED+=("$dist")
    (cd "$WORK/$dist" && "$PYTHON" -m pytest -q -p no:cacheprovider)
    "${CHECK[@]}" "$name"
    "$PYTHON" -m pip uninstall -q -y "$dist"
    INSTALLED=("${INSTALLED[@]/$dist}")
done
echo "template packages: ${#KINDS[@]} kind(s) generated, installed, tested and uninstalled"
