#!/usr/bin/env python3
"""tests/layout/layers.py: no dependency points upward. Each folder of the tree may
include headers of, and link libraries of, only the layers below it (the table in
docs/architecture.md). Reads every #include "x/..." in C and assembly sources and
every target_link_libraries() of the folder's CMakeLists.txt files; prints each
violation with its file and line and exits 1 if there is one.
usage: layers.py SOURCE_DIR"""
import os
import re
import sys

# folder -> the folders (include prefixes) it may use, besides itself. "vmx" is
# cpu/vmx's public prefix; "klib" the freestanding library's.
ALLOWED = {
    "arch": set(),
    "base": {"arch"},
    "klib": {"arch"},
    "guests": {"klib", "arch"},
    "cpu": {"base", "arch", "vmx"},
    "devices": {"base", "arch"},
    "netsim": {"base", "arch"},
    "traces": {"base", "arch"},
    "machine": {"base", "arch", "cpu", "vmx", "devices", "traces"},
    "hv": {"base", "arch", "cpu", "vmx", "traces"},
    "sim": {"base", "arch", "cpu", "vmx", "devices", "netsim", "traces", "machine", "hv"},
}
# Include prefixes that belong to a folder other than their name.
PREFIX_HOME = {"vmx": "cpu", "engine": "cpu"}
# Library targets -> their folder.
LIBS = {
    "hvarch": "arch", "hvbase": "base", "hvcpu": "cpu", "hvvmx": "cpu", "hvvmxop": "cpu", "hvdev": "devices",
    "hvnet": "netsim", "hvtrace": "traces", "hvmachine": "machine", "hvhv": "hv",
    "hvworld": "sim", "hvsim": "sim", "klib32": "klib", "klib64": "klib",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')
# Inside cpu/: VT-x (cpu/vmx/) is a layer above the ring model. The ring model
# reaches it only through the table in cpu_priv.h, so no file of cpu/ outside
# cpu/vmx/ includes VT-x's headers and hvcpu links no VT-x library.
CPU_INNER_INCLUDE = re.compile(r'^\s*#\s*include\s+"(vmx/[^"]*|vmx_priv\.h|vmx\.h)"')
CPU_INNER_LIBS = {"hvvmx", "hvvmxop"}
LINK = re.compile(r"target_link_libraries\(\s*(\S+)([^)]*)\)", re.S)


def home(prefix):
    return PREFIX_HOME.get(prefix, prefix)


def cpu_inner(root):
    bad = []
    base = os.path.join(root, "cpu")
    for d, dirs, files in os.walk(base):
        dirs[:] = [x for x in dirs if os.path.join(d, x) != os.path.join(base, "vmx")]
        for f in sorted(files):
            p = os.path.join(d, f)
            rel = os.path.relpath(p, root)
            if f.endswith((".c", ".h")):
                with open(p, errors="replace") as fh:
                    for n, line in enumerate(fh, 1):
                        m = CPU_INNER_INCLUDE.match(line)
                        if m:
                            bad.append(f"{rel}:{n}: the ring model includes VT-x's {m.group(1)} "
                                       f"(cpu/vmx/ is above it: use cpu_vmx_ops)")
            elif f == "CMakeLists.txt":
                text = open(p).read()
                for m in LINK.finditer(text):
                    if m.group(1) == "hvcpu":
                        for lib in m.group(2).split():
                            if lib in CPU_INNER_LIBS:
                                n = text[: m.start()].count("\n") + 1
                                bad.append(f"{rel}:{n}: hvcpu links {lib} (cpu/vmx/ is above the ring model)")
    return bad


def main(root):
    bad = []
    for top, allowed in ALLOWED.items():
        base = os.path.join(root, top)
        if not os.path.isdir(base):
            continue
        for d, _, files in os.walk(base):
            for f in sorted(files):
                p = os.path.join(d, f)
                rel = os.path.relpath(p, root)
                if f.endswith((".c", ".h", ".S")):
                    with open(p, errors="replace") as fh:
                        for n, line in enumerate(fh, 1):
                            m = INCLUDE.match(line)
                            if m and home(m.group(1)) != top and m.group(1) not in allowed \
                                    and home(m.group(1)) not in allowed:
                                bad.append(f"{rel}:{n}: {top}/ includes {m.group(1)}/ (allowed: "
                                           f"{', '.join(sorted(allowed)) or 'nothing'})")
                elif f == "CMakeLists.txt":
                    text = open(p).read()
                    for m in LINK.finditer(text):
                        for lib in m.group(2).split():
                            lib_home = LIBS.get(lib)
                            if lib_home and lib_home != top and lib_home not in allowed:
                                n = text[: m.start()].count("\n") + 1
                                bad.append(f"{rel}:{n}: {m.group(1)} links {lib} ({lib_home}/), "
                                           f"above {top}/")
    bad += cpu_inner(root)
    for b in bad:
        print(b)
    if bad:
        print(f"layers: {len(bad)} dependencies point upward")
        return 1
    print("layers: every include and link points down the layer table")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "."))
