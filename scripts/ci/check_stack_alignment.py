#!/usr/bin/env python3
"""Fail if an x86-64 binary holds a 16-byte-aligned SSE move (movaps, movdqa, movapd) to or
from a stack slot that cannot be 16-byte aligned.

Why: rustc 1.95.0's LLVM (the machine's only toolchain) miscompiled
`zarrkit_core::Array::apply_updates` in release builds: on the error path it stored a
16-byte value with `movaps` to `0xc8(%rsp)` where the frame makes `rsp` 16-aligned, so every
failed read-modify-write of a chunk (a corrupt stored chunk, a codec error) died with SIGSEGV
instead of returning its error (found through the Python extension; fixed in the source by
reshaping that function, see docs/design.md "Toolchain"). Upstream reports of this class of
miscompile say the fix is in later rustc releases; until the toolchain moves, this check runs
over the release binaries CI builds.

How: for each function (symbols are needed: run it on cargo's unstripped `target/release`
artefacts, not on a maturin wheel's stripped copy), the prologue's pushes and `sub $n,%rsp`
(stack probes included) give the body's `rsp` modulo 16 (the ABI enters a function with
`rsp` = 8 mod 16); every aligned move with a `disp(%rsp)` operand must then address a multiple
of 16. Functions that realign their stack or move `rsp` after the prologue are not modelled;
the check found exactly the miscompiled function in the unfixed build and nothing in the
fixed one (2026-12-07).

    scripts/ci/check_stack_alignment.py target/release/zarrkit target/release/lib_native.so
"""

from __future__ import annotations

import re
import subprocess
import sys

FUNC = re.compile(r"^[0-9a-f]+ <(.*)>:$")
SUB = re.compile(r"sub\s+\$0x([0-9a-f]+),%rsp$")
ALIGNED = re.compile(r"^(movaps|movdqa|movapd)\s+(.*)$")
RSP_OPERAND = re.compile(r"(-?0x[0-9a-f]+)?\(%rsp\)")


def scan(path: str) -> list[tuple[str, str]]:
    out = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-C", path],
        check=True, capture_output=True, text=True,
    ).stdout
    bad: dict[str, str] = {}
    func = None
    pushes, sub, prologue = 0, None, True
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            func, pushes, sub, prologue = m.group(1), 0, None, True
            continue
        if func is None or ":" not in line:
            continue
        ins = " ".join(line.split(":", 1)[1].split())
        if prologue:
            if ins.startswith("push "):
                pushes += 1
                continue
            m = SUB.match(ins)
            if m:
                sub = (sub or 0) + int(m.group(1), 16)
                continue
            if sub is not None and ins.startswith("movq $0x0,(%rsp)"):  # stack probe
                continue
            if ins.startswith("endbr64"):
                continue
            prologue = False
        if sub is None:
            continue
        m = ALIGNED.match(ins)
        if not m or "xmm" not in m.group(2):
            continue
        for d in RSP_OPERAND.finditer(m.group(2)):
            disp = int(d.group(1) or "0", 16)
            if (8 - 8 * pushes - sub + disp) % 16 != 0:
                bad.setdefault(func, ins)
    return sorted(bad.items())


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path in sys.argv[1:]:
        found = scan(path)
        print(f"{path}: {len(found)} function(s) with a misaligned aligned stack move")
        for func, ins in found:
            failed = True
            print(f"  {func}: {ins}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
