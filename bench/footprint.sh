#!/usr/bin/env bash
# Sizes of libapigw.a, libapigw.so and a stripped apigw for the default
# (release) and minimal presets. Builds both presets if needed.
#   bench/footprint.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
printf '| preset | libapigw.a | libapigw.so (stripped) | apigw (stripped) |\n| --- | ---: | ---: | ---: |\n'
for preset in release minimal; do
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" --target apigw apigw_shared apigw_cli >/dev/null
  dir=build/$preset
  tmp=$(mktemp -d)
  strip -o "$tmp/apigw" "$dir/apigw"
  strip -o "$tmp/libapigw.so" "$(readlink -f "$(find "$dir/src" -name libapigw.so | head -1)")"
  kib() { echo "$(( ($(stat -c %s "$1") + 1023) / 1024 )) KiB"; }
  printf '| %s | %s | %s | %s |\n' "$preset" "$(kib "$(find "$dir" -name libapigw.a | head -1)")" \
    "$(kib "$tmp/libapigw.so")" "$(kib "$tmp/apigw")"
  rm -rf "$tmp"
done
