"""CPU-only PyTorch from PyPI without the 2.4 GB of CUDA libraries.

PyPI's Linux torch wheel is a CUDA build: its shared libraries name cuDNN,
cuBLAS, NCCL, ... as DT_NEEDED, and `pip install torch` brings ~2.4 GB of
nvidia-* wheels to satisfy them. On a machine without a GPU none of their code
ever runs: the only CUDA calls torch makes there go to the CUDA runtime
(`cudaGetDeviceCount` answers "no device"), which we install for real (2 MB),
with CUPTI (12 MB, the profiler's). Every other CUDA library is replaced by a
stub generated here from what torch's libraries import: the same soname and
symbol versions, every entry a function that prints its name and aborts — so
a CUDA path that is reached by mistake fails loudly instead of computing
garbage.

    python cuda_stubs.py SITE_PACKAGES     # after `pip install --no-deps torch ...`

Needs `readelf` and a C compiler (`cc`). Prints what it made; exit 1 with one
line when it cannot.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

# Found by the dynamic loader without our help.
SYSTEM_DIRS = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"]


def run(args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def needed(lib):
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", run(["readelf", "-d", lib]))


def version_files(lib):
    """Version name → the file (soname) it is required from, from .gnu.version_r."""
    out, current = {}, None
    for line in run(["readelf", "-V", "-W", lib]).splitlines():
        m = re.search(r"File: (\S+)", line)
        if m:
            current = m.group(1)
            continue
        m = re.search(r"Name: (\S+)", line)
        if m and current:
            out[m.group(1)] = current
    return out


def dyn_symbols(lib):
    """(name, version or None, undefined?, weak?) of the dynamic symbol table."""
    rows = []
    for line in run(["readelf", "--dyn-syms", "-W", lib]).splitlines():
        parts = line.split()
        if len(parts) < 8 or not parts[0].rstrip(":").isdigit():
            continue
        bind, ndx, name = parts[4], parts[6], parts[7]
        version = None
        if "@" in name:
            name, version = re.split(r"@+", name, maxsplit=1)
        rows.append((name, version, ndx == "UND", bind == "WEAK"))
    return rows


def find(soname, search):
    for d in search:
        p = os.path.join(d, soname)
        if os.path.exists(p):
            return p
    return None


def main(site):
    torch_lib = os.path.join(site, "torch", "lib")
    stub_dir = os.path.join(site, "nvidia", "cu13", "lib")  # on the RPATH of every torch library
    libs = sorted(glob.glob(os.path.join(torch_lib, "*.so")))
    if not libs:
        raise SystemExit(f"cuda_stubs: no torch libraries in {torch_lib}")
    search = [torch_lib] + sorted(glob.glob(os.path.join(site, "nvidia", "*", "lib"))) + SYSTEM_DIRS
    defined = set()
    seen_files = set()
    missing = {}  # soname → {version → set(symbols)}; version None for unversioned

    def add_defined(path):
        if path in seen_files:
            return
        seen_files.add(path)
        for name, _v, und, _w in dyn_symbols(path):
            if not und:
                defined.add(name)

    for lib in libs:
        add_defined(lib)
    add_defined(os.path.realpath(sys.executable))
    for lib in libs:
        for so in needed(lib):
            path = find(so, search)
            if path:
                add_defined(path)
            else:
                missing.setdefault(so, {})
    for lib in libs:
        vfiles = version_files(lib)
        lib_missing = [so for so in needed(lib) if so in missing]
        for name, version, und, weak in dyn_symbols(lib):
            if not und or weak or not name:
                continue
            if version:
                so = vfiles.get(version)
                if so in missing:
                    missing[so].setdefault(version, set()).add(name)
            elif name not in defined and not name.startswith(("Py", "_Py")):
                # An unversioned import nothing present defines: it can only come from a missing library.
                for so in lib_missing:
                    missing[so].setdefault(None, set()).add(name)
    if not missing:
        print("cuda_stubs: nothing to stub")
        return
    os.makedirs(stub_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for so, versions in sorted(missing.items()):
            names = sorted({n for syms in versions.values() for n in syms})
            c = os.path.join(tmp, "stub.c")
            with open(c, "w") as f:
                f.write("#include <stdio.h>\n#include <stdlib.h>\n")
                f.write("static void stub(const char *n) { fprintf(stderr, \"CUDA library stub: %s of %s called on a CPU-only install\\n\", n, \"" + so + "\"); abort(); }\n")
                for n in names:
                    f.write(f'void {n}(void) {{ stub("{n}"); }}\n')
            script = os.path.join(tmp, "versions.map")
            with open(script, "w") as f:
                tags = [v for v in versions if v is not None] or [so]
                unversioned = sorted(versions.get(None, set()))
                for i, tag in enumerate(tags):
                    syms = sorted(versions.get(tag, set())) + (unversioned if i == 0 else [])
                    f.write(f"{tag} {{ global: {' '.join(s + ';' for s in syms)} {'local: *;' if i == len(tags) - 1 else ''} }};\n")
            out = os.path.join(stub_dir, so)
            run(["cc", "-shared", "-fPIC", "-O0", "-o", out, c, f"-Wl,-soname,{so}", f"-Wl,--version-script,{script}"])
            print(f"cuda_stubs: {so}: {len(names)} symbols")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: cuda_stubs.py SITE_PACKAGES")
    try:
        main(sys.argv[1])
    except FileNotFoundError as e:
        raise SystemExit(f"cuda_stubs: {e.filename} is needed (binutils' readelf and a C compiler)")
    except subprocess.CalledProcessError as e:
        raise SystemExit(f"cuda_stubs: {' '.join(e.cmd[:2])} failed: {(e.stderr or '').strip().splitlines()[-1:] or e.returncode}")
