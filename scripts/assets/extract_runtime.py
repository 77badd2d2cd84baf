"""Extract ONNX Runtime shared libraries from a PyPI wheel into a flat runtime folder.

  python extract_runtime.py --wheel W.whl --out DIR --version 1.31.1 [--all-libs] [--check-deps LIB...]
  python extract_runtime.py --probe LIB --min-version 1.24

Copies onnxruntime/capi/lib*.so* (only libonnxruntime.so.<version> and
libonnxruntime_providers_shared.so unless --all-libs); the python extension module is skipped.
Byte-identical copies inside the wheel (libopenvino.so / .so.2541 / .so.2025.4.1) become symlinks
to one real file; every library's SONAME gets a symlink when missing (e.g. libtbbmalloc.so.2,
libonnxruntime.so.1), plus libonnxruntime.so.  All libraries in the wheel use RPATH/RUNPATH
$ORIGIN, so one flat folder resolves its own dependencies.

Then it load-tests the folder with ctypes: dlopen libonnxruntime.so, OrtGetApiBase()->
GetVersionString() must equal --version; with --check-deps LIB... those libraries must dlopen
too.  (An execution-provider library such as libonnxruntime_providers_openvino.so cannot be
dlopen'ed on its own, its initialisers call into the ORT host: ov_smoke.py tests it through ORT.)
"""
import argparse
import ctypes
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import zipfile


def elf_soname(path):
    """SONAME of an ELF64 little-endian shared object, or None."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return None
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = []
    for i in range(e_shnum):
        off = e_shoff + i * e_shentsize
        _name, sh_type, _flags, _addr, sh_offset, sh_size, sh_link = struct.unpack_from("<IIQQQQI", data, off)
        sections.append((sh_type, sh_offset, sh_size, sh_link))
    for sh_type, sh_offset, sh_size, sh_link in sections:
        if sh_type != 6:  # SHT_DYNAMIC
            continue
        strtab_off = sections[sh_link][1]
        for j in range(0, sh_size, 16):
            tag, val = struct.unpack_from("<qQ", data, sh_offset + j)
            if tag == 0:
                break
            if tag == 14:  # DT_SONAME
                end = data.index(b"\0", strtab_off + val)
                return data[strtab_off + val:end].decode()
    return None


def extract(wheel, out, version, all_libs):
    staging = out + ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    main_lib = f"libonnxruntime.so.{version}"
    groups = {}  # content hash -> [names]
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            d, base = os.path.split(info.filename)
            if d != "onnxruntime/capi" or not base.startswith("lib") or ".so" not in base:
                continue
            if not all_libs and base not in (main_lib, "libonnxruntime_providers_shared.so"):
                continue
            data = zf.read(info)
            groups.setdefault(hashlib.sha256(data).hexdigest(), []).append((base, data))
    names = [n for g in groups.values() for n, _ in g]
    if main_lib not in names:
        raise SystemExit(f"extract_runtime: {main_lib} not in {os.path.basename(wheel)}")
    for members in groups.values():
        # real file = the most specific name (longest), the others are symlinks to it
        members.sort(key=lambda m: (-len(m[0]), m[0]))
        real, data = members[0]
        with open(os.path.join(staging, real), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(staging, real), 0o755)
        for alias, _ in members[1:]:
            os.symlink(real, os.path.join(staging, alias))
    for name in sorted(os.listdir(staging)):
        p = os.path.join(staging, name)
        if os.path.islink(p):
            continue
        so = elf_soname(p)
        if so and not os.path.lexists(os.path.join(staging, so)):
            os.symlink(name, os.path.join(staging, so))
    if not os.path.lexists(os.path.join(staging, "libonnxruntime.so")):
        os.symlink(main_lib, os.path.join(staging, "libonnxruntime.so"))
    shutil.rmtree(out, ignore_errors=True)
    os.replace(staging, out)


def ldd_check(out, optional):
    """Every library in the folder must resolve its NEEDED entries (ldd), bar known optional ones."""
    if not shutil.which("ldd"):
        print("  (ldd not found: skipping dependency scan)", file=sys.stderr)
        return
    problems = []
    for name in sorted(os.listdir(out)):
        p = os.path.join(out, name)
        if os.path.islink(p):
            continue
        r = subprocess.run(["ldd", p], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            if "not found" in line:
                dep = line.split()[0]
                if (name, dep) in optional:
                    print(f"  note: {name} needs {dep} (not on this system; only that plugin is affected)", file=sys.stderr)
                else:
                    problems.append(f"{name}: {dep} not found")
    if problems:
        raise SystemExit("extract_runtime: unresolved dependencies: " + "; ".join(problems))


def load_check(out, version, deps):
    mode = os.RTLD_NOW | os.RTLD_GLOBAL
    lib = ctypes.CDLL(os.path.join(out, "libonnxruntime.so"), mode=mode)

    class OrtApiBase(ctypes.Structure):
        _fields_ = [("GetApi", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_uint32)),
                    ("GetVersionString", ctypes.CFUNCTYPE(ctypes.c_char_p))]

    lib.OrtGetApiBase.restype = ctypes.POINTER(OrtApiBase)
    got = lib.OrtGetApiBase().contents.GetVersionString().decode()
    if got != version:
        raise SystemExit(f"extract_runtime: {out}/libonnxruntime.so reports version {got}, expected {version}")
    for dep in deps or []:
        ctypes.CDLL(os.path.join(out, dep), mode=mode)


def probe(lib_path, min_version):
    """An ONNX Runtime library given by the user (EDGEPERF_RUNTIME): it must dlopen here, export
    OrtGetApiBase, and report a version >= min_version (edgeperf's API level)."""
    try:
        lib = ctypes.CDLL(lib_path, mode=os.RTLD_NOW | os.RTLD_GLOBAL)
    except OSError as e:
        raise SystemExit(f"runtime: {lib_path}: cannot load it: {e}")
    if not hasattr(lib, "OrtGetApiBase"):
        raise SystemExit(f"runtime: {lib_path}: not an ONNX Runtime library (no OrtGetApiBase)")

    class OrtApiBase(ctypes.Structure):
        _fields_ = [("GetApi", ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_uint32)),
                    ("GetVersionString", ctypes.CFUNCTYPE(ctypes.c_char_p))]

    lib.OrtGetApiBase.restype = ctypes.POINTER(OrtApiBase)
    got = lib.OrtGetApiBase().contents.GetVersionString().decode()
    as_tuple = lambda v: tuple(int(x) for x in v.split(".")[:2])
    if as_tuple(got) < as_tuple(min_version):
        raise SystemExit(f"runtime: {lib_path}: ONNX Runtime {got} is older than {min_version}, the oldest edgeperf loads")
    print(f"runtime: {lib_path} (loads, ONNX Runtime {got})", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probe", metavar="LIB")
    ap.add_argument("--min-version", default="1.24")
    ap.add_argument("--wheel")
    ap.add_argument("--out")
    ap.add_argument("--version")
    ap.add_argument("--all-libs", action="store_true")
    ap.add_argument("--check-deps", nargs="*")
    ap.add_argument("--check-only", action="store_true")
    a = ap.parse_args()
    if a.probe:
        probe(a.probe, a.min_version)
        return
    if not (a.wheel and a.out and a.version):
        ap.error("--wheel, --out and --version are required (or --probe LIB)")
    if not a.check_only:
        extract(a.wheel, a.out, a.version, a.all_libs)
    ldd_check(a.out, optional={("libopenvino_intel_gpu_plugin.so", "libOpenCL.so.1")})
    load_check(a.out, a.version, a.check_deps)
    n = sum(1 for f in os.listdir(a.out) if not os.path.islink(os.path.join(a.out, f)))
    print(f"runtime: {a.out} ({n} libraries, loads, version {a.version})", file=sys.stderr)


if __name__ == "__main__":
    main()
