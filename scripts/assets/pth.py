"""Torch-free reader for PyTorch ``.pth`` state dicts.

Supports both on-disk formats written by ``torch.save``:

* the zip format (torch >= 1.6): ``<root>/data.pkl`` + ``<root>/data/<key>`` raw storages;
* the legacy format (torch < 1.6): a stream of pickles (magic number, protocol version,
  sys info, the object, the list of storage keys) followed by each storage as
  ``int64 numel`` + raw little-endian bytes.

Tensors are rebuilt as numpy arrays from ``torch._utils._rebuild_tensor_v2`` (storage, storage
offset, size, stride).  Only plain containers/tensors are allowed: any other global is refused,
so loading a file cannot execute arbitrary code.

Usage:  ``state = load("model.pth")  # -> OrderedDict[str, np.ndarray]``
"""
import collections
import io
import pickle
import struct
import sys
import zipfile

import numpy as np

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class _StorageType:
    def __init__(self, name):
        self.name = name
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


class _Storage:
    """Placeholder for a storage; ``array`` (1-D) is filled in once the bytes are known."""

    def __init__(self, key, stype, numel):
        self.key, self.stype, self.numel = key, stype, numel
        self.array = None


class _View:
    """A legacy-format storage view (root storage, element offset, element count)."""

    def __init__(self, root, offset, size):
        self.root, self.offset, self.size = root, offset, size


class _LazyTensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)

    def materialize(self):
        st, off = self.storage, self.offset
        if isinstance(st, _View):
            off += st.offset
            st = st.root
        flat = st.array
        itemsize = flat.dtype.itemsize
        if len(self.size) == 0:
            return flat[off].copy()
        arr = np.lib.stride_tricks.as_strided(
            flat[off:], shape=self.size, strides=[s * itemsize for s in self.stride]
        )
        return np.ascontiguousarray(arr)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _LazyTensor(storage, storage_offset, size, stride)


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None):
    return data


def _rebuild_parameter_with_state(data, requires_grad=False, backward_hooks=None, state=None):
    return data


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, storages):
        super().__init__(f, encoding="latin1")
        self.storages = storages

    def find_class(self, module, name):
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"pth: refusing global {module}.{name}")

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or pid[0] != "storage":
            raise pickle.UnpicklingError(f"pth: unsupported persistent id {pid!r}")
        stype, key, _location, numel = pid[1], str(pid[2]), pid[3], pid[4]
        st = self.storages.get(key)
        if st is None:
            st = self.storages[key] = _Storage(key, stype, numel)
        view = pid[5] if len(pid) > 5 else None
        if view is not None:  # legacy views: (view_key, offset, size)
            return _View(st, view[1], view[2])
        return st


def _materialize(obj):
    if isinstance(obj, _LazyTensor):
        return obj.materialize()
    if isinstance(obj, collections.OrderedDict):
        return collections.OrderedDict((k, _materialize(v)) for k, v in obj.items())
    if isinstance(obj, dict):
        return {k: _materialize(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_materialize(v) for v in obj)
    return obj


def _load_zip(path):
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        pkl = [n for n in names if n.endswith("/data.pkl") or n == "data.pkl"]
        if not pkl:
            raise ValueError(f"{path}: zip without data.pkl")
        root = pkl[0][: -len("data.pkl")]
        storages = {}
        obj = _Unpickler(io.BytesIO(zf.read(pkl[0])), storages).load()
        for key, st in storages.items():
            raw = zf.read(f"{root}data/{key}")
            st.array = np.frombuffer(raw, dtype=st.stype.dtype.newbyteorder("<"), count=st.numel)
    return obj


def _load_legacy(path):
    with open(path, "rb") as f:
        magic = pickle.load(f)
        if magic != LEGACY_MAGIC:
            raise ValueError(f"{path}: not a PyTorch file (bad magic)")
        proto = pickle.load(f)
        if proto != 1001:
            raise ValueError(f"{path}: unsupported legacy protocol {proto}")
        sys_info = pickle.load(f)
        if not sys_info.get("little_endian", True):
            raise ValueError(f"{path}: big-endian files are not supported")
        storages = {}
        obj = _Unpickler(f, storages).load()
        keys = pickle.load(f)
        for key in keys:
            st = storages[str(key)]
            (numel,) = struct.unpack("<q", f.read(8))
            nbytes = numel * st.stype.dtype.itemsize
            raw = f.read(nbytes)
            if len(raw) != nbytes:
                raise ValueError(f"{path}: truncated storage {key}")
            st.array = np.frombuffer(raw, dtype=st.stype.dtype.newbyteorder("<"), count=numel)
    return obj


def load(path):
    """Load a ``.pth`` file and return its object with every tensor as a numpy array."""
    obj = _load_zip(path) if zipfile.is_zipfile(path) else _load_legacy(path)
    return _materialize(obj)


if __name__ == "__main__":
    sd = load(sys.argv[1])
    for k, v in sd.items():
        print(k, getattr(v, "dtype", type(v)), getattr(v, "shape", ""))
