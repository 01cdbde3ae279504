#!/usr/bin/env python3
"""CMake splits ctest names on ';', so a doctest TEST_CASE whose name holds
one is registered as something that runs nothing. Fail on any such name."""
import pathlib, re, sys

root = pathlib.Path(__file__).resolve().parent
bad = [f"{p.relative_to(root)}: {m.group(1)}"
       for p in root.rglob("*.cpp")
       for m in re.finditer(r'TEST_CASE\("((?:[^"\\]|\\.)*)"', p.read_text())
       if ";" in m.group(1)]
for line in bad:
    print("test name with ';' (it would never run):", line)
sys.exit(1 if bad else 0)
