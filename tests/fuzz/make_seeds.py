#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/).

Each seed is a small valid input of the format a target reads, preceded by the target's mode byte
where it has one (see the comment at the top of each fuzz_<target>.cpp). Run from anywhere:
    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import gzip
import hashlib
import io
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def idx_images(n, rows, cols):
    return struct.pack(">IIII", 0x803, n, rows, cols) + bytes((s * 31 + i * 7) % 256 for s in range(n) for i in range(rows * cols))


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def gz(b):
    return gzip.compress(b, mtime=0)


def cifar(labels_per_record):
    out = b""
    for k, labels in enumerate(labels_per_record):
        out += bytes(labels) + bytes((k * 13 + i) % 256 for i in range(3072))
    return out


def npy(a):
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=False)
    return buf.getvalue()


def main():
    images, labels = idx_images(3, 4, 4), idx_labels([0, 9, 4])
    write("idx", "images", b"\x01" + images)
    write("idx", "images.gz", b"\x01" + gz(images))
    write("idx", "labels", b"\x00" + labels)
    write("idx", "labels.gz", b"\x00" + gz(labels))
    write("idx", "labels-two-members.gz", b"\x00" + gz(labels[:5]) + gz(labels[5:]))
    write("idx_gzip", "images", b"\x01" + images)
    write("idx_gzip", "images-two-members", b"\x03" + images)
    write("idx_gzip", "labels", b"\x00" + labels)

    write("cifar", "cifar10-2", b"\x00" + cifar([[3], [9]]))
    write("cifar", "cifar100-1", b"\x01" + cifar([[2, 77]]))
    write("cifar", "cifar10-twice", b"\x02" + cifar([[0]]))

    write("npy", "f4-2x3", npy(np.arange(6, dtype=np.float32).reshape(2, 3)))
    write("npy", "f8-3", npy(np.array([1.5, -2.0, np.nan])))
    write("npy", "f8-fortran-2x3", npy(np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3))))
    write("npy", "f8-scalar", npy(np.float64(7.0)))
    write("npy", "f8-empty-0x4", npy(np.zeros((0, 4))))
    write("npy", "i8-2x2", npy(np.array([[1, 2], [3, 4]], dtype=np.int64)))

    # run_state: sections [kind][u16 length][bytes] (see fuzz_run_state.cpp); a valid state of each dtype,
    # exactly sealed (mode 0) and to be resealed (mode bit 0), with and without a progress record.
    for dtype, bit in ((np.float32, 0), (np.float64, 2)):
        tag = "f4" if dtype == np.float32 else "f8"
        arrays = {
            "w.npy": np.arange(6, dtype=dtype).reshape(3, 2) / 4,
            "b.npy": np.array([1, -1, 0.5], dtype=dtype),
            "opt.sgd.momentum_buffer.w.npy": np.full((3, 2), 0.25, dtype=dtype),
            "opt.sgd.momentum_buffer.b.npy": np.zeros(3, dtype=dtype),
        }
        files = []
        sections = []
        for kind, (name, a) in enumerate(arrays.items(), start=2):
            data = npy(a)
            role = "optimizer" if name.startswith("opt.") else "parameter"
            files.append({"bytes": len(data), "name": name, "role": role, "sha256": hashlib.sha256(data).hexdigest(),
                          "shape": list(a.shape)})
            sections.append(section(kind, data))
        manifest = {"extra": {"epoch": 1, "metrics_rows": 4}, "files": files, "format": "gramtape-state/1",
                    "optimizer": "sgd", "slot": "a", "steps": 5}
        # The checksum is over the manifest's compact dump without it, keys sorted (as nlohmann's dump()).
        manifest["checksum"] = hashlib.sha256(json.dumps(manifest, separators=(",", ":"), sort_keys=True).encode()).hexdigest()
        m = section(0, json.dumps(manifest, indent=2).encode())
        progress = section(1, json.dumps({"runs": {"seed0": {"epoch": 1}}, "seconds": 2.5, "data": {"mnist": "ab"}}).encode())
        write("run_state", tag + "-sealed", bytes([bit]) + m + b"".join(sections) + progress)
        write("run_state", tag + "-reseal", bytes([bit | 1]) + m + b"".join(sections))
        write("run_state", tag + "-weights-only", bytes([bit | 1 | 4]) + m + b"".join(sections[:2]))


def section(kind, data):
    return bytes([kind]) + struct.pack("<H", len(data)) + data


if __name__ == "__main__":
    main()
