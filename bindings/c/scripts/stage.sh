#!/usr/bin/env bash
# Stage zarrkit's C API into a prefix: include/zarrkit.h, lib/libzarrkit_c.a,
# lib/libzarrkit_c.so.<abi> (+ the libzarrkit_c.so link), lib/cmake/zarrkit/ (the CMake
# package: find_package(zarrkit)) and lib/pkgconfig/zarrkit{,-static}.pc. The result is
# relocatable.
#
#   bindings/c/scripts/stage.sh PREFIX
#
# Environment:
#   ZARRKIT_CARGO_PROFILE  the cargo profile to build (default: dev; `release` for a release)
#   ZARRKIT_LIB_DIR        take the built libraries from here and do not run cargo
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
root="$(cd "$here/../.." && pwd)"
prefix="$1"

if [ -n "${ZARRKIT_LIB_DIR:-}" ]; then
  libdir="$ZARRKIT_LIB_DIR"
else
  profile="${ZARRKIT_CARGO_PROFILE:-dev}"
  cargo build --manifest-path "$root/Cargo.toml" -p zarrkit-c --profile "$profile"
  case "$profile" in
    dev | test) subdir=debug ;;
    *) subdir="$profile" ;;
  esac
  libdir="${CARGO_TARGET_DIR:-$root/target}/$subdir"
fi
for f in libzarrkit_c.a libzarrkit_c.so; do
  if [ ! -f "$libdir/$f" ]; then
    echo "$libdir/$f not found" >&2
    exit 1
  fi
done

# The version of [workspace.package] (the first `version = ` line of the root manifest) and
# the ABI version the header defines.
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)"
abi="$(sed -n 's/^#define ZARRKIT_ABI_VERSION \([0-9][0-9]*\)$/\1/p' "$here/include/zarrkit.h")"
if [ -z "$version" ] || [ -z "$abi" ]; then
  echo "cannot read the version ($version) or the ABI version ($abi)" >&2
  exit 1
fi

mkdir -p "$prefix/include" "$prefix/lib/cmake/zarrkit" "$prefix/lib/pkgconfig"
cp "$here/include/zarrkit.h" "$prefix/include/zarrkit.h"
cp "$libdir/libzarrkit_c.a" "$prefix/lib/libzarrkit_c.a"
cp "$libdir/libzarrkit_c.so" "$prefix/lib/libzarrkit_c.so.$abi"
ln -sf "libzarrkit_c.so.$abi" "$prefix/lib/libzarrkit_c.so"
subst() {
  sed -e "s|@VERSION@|$version|g" -e "s|@ABI_VERSION@|$abi|g" "$1" > "$2"
}
subst "$here/cmake/zarrkitConfig.cmake.in" "$prefix/lib/cmake/zarrkit/zarrkitConfig.cmake"
subst "$here/cmake/zarrkitConfigVersion.cmake.in" "$prefix/lib/cmake/zarrkit/zarrkitConfigVersion.cmake"
subst "$here/cmake/zarrkit.pc.in" "$prefix/lib/pkgconfig/zarrkit.pc"
subst "$here/cmake/zarrkit-static.pc.in" "$prefix/lib/pkgconfig/zarrkit-static.pc"
echo "staged zarrkit $version (ABI $abi) into $prefix"
