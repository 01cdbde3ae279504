#!/bin/sh
# libapigw.so is compatible with the recorded ABI dump (capi/abi/libapigw.abi,
# written by capi/abi/update.sh). Added functions and members appended to a
# versioned struct pass; a removed function or a changed signature or layout
# fails (abidiff exits nonzero: 4 ABI change, 8 incompatible, 1/2 errors).
# Usage: abi_compatible_test.sh ABIDIFF DUMP LIBRARY PUBLIC_HEADERS_DIR
set -u
"$1" --exported-interfaces-only --headers-dir2 "$4" --drop-private-types --fail-no-debug-info --no-added-syms "$2" "$3"
rc=$?
[ $rc -eq 0 ] || echo "abidiff exit code $rc: the C ABI changed incompatibly (or abidiff failed); see above" >&2
exit $rc
