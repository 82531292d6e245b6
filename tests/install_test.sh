#!/usr/bin/env bash
# install_test.sh: install mrank into a temporary prefix and use it as another project would: the
# example consumer built with find_package(mrank) and with pkg-config, against that prefix only; the
# exported symbols; the versions in every place; the man pages; the tool without a source tree.
# usage: install_test.sh <build dir> <source dir>
set -euo pipefail
# What the consumers load must come from their own run paths, never from the caller's environment:
# a LD_LIBRARY_PATH pointing at the build tree would make "uses the installed library" fail (or, the
# other way round, pass for the wrong reason).
unset LD_LIBRARY_PATH
build=$(cd "$1" && pwd)
source=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"
passed=0
failed=0
check() { # description, command...
  local what=$1
  shift
  if "$@"; then
    passed=$((passed + 1))
    echo "ok   - $what"
  else
    failed=$((failed + 1))
    echo "FAIL - $what"
  fi
}

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libmrank.so' | head -n 1)")
version=$(sed -n 's/^#define MRANK_VERSION_STRING "\(.*\)"/\1/p' "$prefix/include/mrank_version.h")
major=${version%%.*}

check "header, library with SONAME links, tool, CMake package, pkg-config file installed" \
  test -f "$prefix/include/mrank.h" -a -f "$libdir/libmrank.so.$version" \
  -a -L "$libdir/libmrank.so.$major" -a -L "$libdir/libmrank.so" -a -x "$prefix/bin/mrank" \
  -a -f "$libdir/cmake/mrank/mrankConfig.cmake" -a -f "$libdir/cmake/mrank/mrankConfigVersion.cmake" \
  -a -f "$libdir/pkgconfig/mrank.pc"
check "LICENSE and README installed with the docs" \
  test -f "$prefix/share/doc/mrank/LICENSE" -a -f "$prefix/share/doc/mrank/README.md"
check "SONAME is libmrank.so.$major" \
  bash -c "objdump -p '$libdir/libmrank.so.$version' | grep -q 'SONAME *libmrank.so.$major\$'"

exported=$(nm -D --defined-only "$libdir/libmrank.so.$version" | awk '{print $3}')
outside=$(printf '%s\n' "$exported" | grep -v '^mrank_' || true)
check "only mrank_* symbols are exported ($(printf '%s\n' "$exported" | wc -l) symbols)" \
  test -z "$outside"
[ -z "$outside" ] || printf '  not mrank_: %s\n' $outside

tool_version=$("$prefix/bin/mrank" --version | awk 'NR == 1 {print $2}')
pc_version=$(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --modversion mrank)
cmake_version=$(sed -n 's/^set(PACKAGE_VERSION "\(.*\)")/\1/p' "$libdir/cmake/mrank/mrankConfigVersion.cmake")
check "versions agree: header $version, tool $tool_version, .pc $pc_version, CMake $cmake_version" \
  test "$version" = "$tool_version" -a "$version" = "$pc_version" -a "$version" = "$cmake_version"

# the consumer, built against the prefix only (a copy outside the source tree)
cp -r "$source/examples" "$work/example"
check "example builds with find_package(mrank)" bash -c \
  "cmake -S '$work/example' -B '$work/example/build' -DCMAKE_PREFIX_PATH='$prefix' \
     -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON >/dev/null && cmake --build '$work/example/build' >/dev/null"
check "find_package consumer matches the reference" bash -c \
  "'$work/example/build/consumer' | tee '$work/cmake.out' | grep -q '^matches the reference$'"
check "example builds with pkg-config" \
  make -s -C "$work/example" PKG_CONFIG_PATH="$libdir/pkgconfig" consumer
check "pkg-config consumer matches the reference" bash -c \
  "'$work/example/consumer' | grep -q '^matches the reference$'"
"$prefix/bin/mrank" synth --queries 20 --docs 6 --features 3 --out "$work/three.txt" >/dev/null
"$prefix/bin/mrank" train --train "$work/three.txt" --model "$work/three.model" --epochs 2 --quiet
check "the ranking API's consumer (find_package) scores and evaluates the installed way" bash -c \
  "'$work/example/build/rank_consumer' '$work/three.model' > '$work/consumer.out' && grep -q '^trained, saved and loaded: the same scores$' '$work/consumer.out' && grep -q '^scores match the model.s text$' '$work/consumer.out'"
check "the ranking API's consumer builds with pkg-config and runs" bash -c \
  "make -s -C '$work/example' PKG_CONFIG_PATH='$libdir/pkgconfig' rank_consumer &&
   '$work/example/rank_consumer' '$work/three.model' | grep -q '^2 queries, 6 pairs'"
check "mrank_rank.h is installed beside mrank.h" test -f "$prefix/include/mrank_rank.h"
check "the consumers use the installed library" bash -c \
  "ldd '$work/example/consumer' | grep -q '$prefix' && ! ldd '$work/example/consumer' | grep -q '$build'"

# the installed tool needs no source tree: run it from elsewhere with no kernel folder
check "installed mrank validate passes without the source tree" bash -c \
  "cd '$work' && env -u MRANK_KERNEL_DIR '$prefix/bin/mrank' validate --n 1000 --margin 1 | grep -q 'validate: 9 passed, 0 failed'"

if command -v man >/dev/null; then
  for page in "$prefix"/share/man/man1/*.1; do
    check "man -l $(basename "$page") renders without warnings" bash -c \
      "warnings=\$(MANWIDTH=80 man --warnings=all -l '$page' 2>&1 >/dev/null); [ -z \"\$warnings\" ] || { echo \"\$warnings\"; false; }"
  done
  pages=$(ls "$prefix"/share/man/man1/*.1 | wc -l)
  commands=$("$prefix/bin/mrank" --help | sed -n '/^commands:/,/^$/p' | grep -c '^  [a-z]')
  check "one man page for mrank and each of its $commands commands" test "$pages" -eq $((commands + 1))
else
  echo "skip - man is not installed (apt-get install man-db): man pages not rendered"
fi

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
