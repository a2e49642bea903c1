#!/usr/bin/env bash
# Builds kmsaudit for a server without a Swift toolchain and installs it as PREFIX/bin/kmsaudit.
#
#   scripts/install.sh PREFIX        e.g. scripts/install.sh /usr/local
#
# The release build links the Swift runtime and Foundation into the binary
# (--static-swift-stdlib), so it needs only the system's libraries at run time: libc, libm,
# libstdc++, libgcc_s, libsqlite3, libz, libisal (apt-get install libsqlite3-0 zlib1g libisal2 on
# the server). It builds in .build-static/ so it never disturbs the ordinary .build/.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 PREFIX   (installs PREFIX/bin/kmsaudit)" >&2
  exit 2
fi
prefix=$1
cd "$(dirname "$0")/.."
swift build -c release --static-swift-stdlib --product kmsaudit --scratch-path .build-static
binary=.build-static/release/kmsaudit
if ldd "$binary" | grep -Ei 'swift|not found'; then
  echo "install: $binary still needs the libraries above; not installed" >&2
  exit 1
fi
install -d "$prefix/bin"
install -m 0755 "$binary" "$prefix/bin/kmsaudit"
echo "installed $prefix/bin/kmsaudit ($("$prefix/bin/kmsaudit" --version))"
