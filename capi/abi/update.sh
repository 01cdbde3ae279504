#!/bin/sh
# Records the ABI that CI holds libapigw.so to, after a deliberate change:
#   symbols.txt   the exported symbols (abi/exported_symbols_match_list)
#   libapigw.abi  the abidw dump of the public types and functions, from a
#                 build with debug info (abi/abidiff_against_dump, asan preset)
# Usage: capi/abi/update.sh [BUILD_DIR with debug info, default build/asan]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/asan}
lib=$build/src/libapigw.so
nm -D --defined-only "$lib" | awk '{print $3}' | LC_ALL=C sort > "$root/capi/abi/symbols.txt"
abidw --exported-interfaces-only --headers-dir "$root/include/apigw" --drop-private-types --no-comp-dir-path --no-corpus-path \
      --no-show-locs --no-elf-needed --out-file "$root/capi/abi/libapigw.abi" "$lib"
echo "updated capi/abi/symbols.txt and capi/abi/libapigw.abi from $lib"
