"""Runs a compiler command that must fail, and checks that the error says `expected`.

usage: expect_compile_error.py EXPECTED COMPILER [ARGS...]
"""
import subprocess
import sys

expected, command = sys.argv[1], sys.argv[2:]
result = subprocess.run(command, capture_output=True, text=True)
if result.returncode == 0:
    print("it compiled, but must not:", " ".join(command))
    sys.exit(1)
if expected not in result.stderr:
    print(result.stderr[-4000:])
    print(f"the compiler refused it, but its error does not say {expected!r}")
    sys.exit(1)
print(f"refused, saying {expected!r}")
