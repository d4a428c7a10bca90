#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Installs a built bulkscore tree into a temporary prefix, builds examples/ standalone against
# it (so that find_package(bulkscore CONFIG REQUIRED) and the exported targets are exercised the
# way a host project uses them), and runs the embedding example on a small generated site.
#
#     tests/install_test.sh BUILD_DIR SOURCE_DIR
#
# Registered with ctest as `install_and_build_examples`.

set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR" >&2
    exit 2
fi
build_dir=$1
source_dir=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/bulkscore-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() {
    echo "install test: $*" >&2
    exit 1
}

prefix="$work/prefix"
cmake --install "$build_dir" --prefix "$prefix" > "$work/install.log" ||
    { cat "$work/install.log" >&2; fail "cmake --install failed"; }
[[ -f "$prefix/lib/cmake/bulkscore/bulkscoreConfig.cmake" || \
   -n "$(find "$prefix" -name bulkscoreConfig.cmake -print -quit)" ]] ||
    fail "no bulkscoreConfig.cmake under $prefix"
[[ -x "$prefix/bin/bulkscore" ]] || fail "no bulkscore executable under $prefix/bin"

# Configure the examples on their own: only the installed package may satisfy find_package.
cmake -S "$source_dir/examples" -B "$work/examples" \
    -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" 2>&1 ||
    { cat "$work/configure.log" >&2; fail "configuring examples/ against $prefix failed"; }
grep -q "bulkscore_DIR:PATH=$prefix" "$work/examples/CMakeCache.txt" ||
    fail "find_package(bulkscore) did not pick the package installed in $prefix"
cmake --build "$work/examples" -j2 > "$work/build.log" 2>&1 ||
    { cat "$work/build.log" >&2; fail "building the examples against the installed package failed"; }

# A small site from the installed CLI, scored by the example.
"$prefix/bin/bulkscore" generate 2000 "$work/site.csv" --seed 11 > /dev/null
"$work/examples/example_embed_score_file" "$work/site.csv" "$work/site.db" > "$work/out.txt" ||
    { cat "$work/out.txt" >&2; fail "the example failed"; }

grep -q "^progress: 100%" "$work/out.txt" || fail "the example never reported 100%"
grep -Eq "^scored [0-9]+, rejected [0-9]+" "$work/out.txt" || fail "no summary line"
scored=$(sed -nE 's/^scored ([0-9]+), rejected ([0-9]+).*/\1/p' "$work/out.txt")
rejected=$(sed -nE 's/^scored ([0-9]+), rejected ([0-9]+).*/\2/p' "$work/out.txt")
(( scored + rejected == 2000 )) || fail "scored $scored + rejected $rejected is not 2000"
ranked=$(grep -cE '^ ?[0-9]+\. +[0-9]+\.[0-9]{2} ' "$work/out.txt" || true)
(( ranked == 10 )) || fail "expected 10 ranked rows, got $ranked"
# The ranking is by score, best first.
sed -nE 's/^ ?[0-9]+\. +([0-9]+\.[0-9]{2}) .*/\1/p' "$work/out.txt" | sort -c -r -g ||
    fail "the top 10 is not in descending score order"

# The examples that need no input check their own results and exit non-zero when wrong.
for example in host_scorer custom_checkpoint_store cancel_from_thread; do
    "$work/examples/example_$example" > "$work/$example.txt" 2>&1 ||
        { cat "$work/$example.txt" >&2; fail "example_$example failed against the installed package"; }
done

echo "install test: ok ($scored scored, $rejected rejected, 10 ranked rows; 3 self-checking examples)"
