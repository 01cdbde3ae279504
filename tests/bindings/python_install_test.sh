#!/bin/sh
# `pip install ./bindings/python` works offline, and the installed package
# finds a libapigw.so copied next to it (no APIGW_LIBRARY).
# Usage: python_install_test.sh PYTHON SOURCE_DIR LIBAPIGW WORK_DIR
set -eu
python=$1 src=$2 lib=$3 work=$4
if ! "$python" -m pip --version >/dev/null 2>&1; then
  echo "pip is not installed: skipped"
  exit 77
fi
rm -rf "$work"
"$python" -m pip install -q --no-index --disable-pip-version-check --target "$work" "$src"
cp "$lib" "$work/apigw/"
cd "$work"
env -u APIGW_LIBRARY "$python" -c '
import os, apigw, apigw._native as n
assert os.path.dirname(n.lib._name) == os.path.dirname(apigw.__file__), n.lib._name
print("apigw", apigw.version(), "from", n.lib._name)'
