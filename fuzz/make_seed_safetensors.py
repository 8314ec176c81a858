"""Writes the safetensors seed corpus (corpus/fuzz_safetensors/): small valid
files covering every dtype the reader converts, metadata, an empty tensor, a
scalar and header padding. Run once by hand: python3 make_seed_safetensors.py
<folder>. The files are committed; only the standard library is needed."""
import json
import struct
import sys


def write(path, tensors, metadata=None, pad_to=8):
    """tensors: list of (name, dtype, shape, raw bytes), stored in order."""
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % pad_to)  # spaces keep the data area aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def main(folder):
    f32 = struct.pack("<6f", 1.0, -2.5, 0.0, 3.25, 1e-3, -7.0)
    write(f"{folder}/f32_metadata.safetensors",
          [("conv.weight", "F32", [2, 3], f32), ("conv.bias", "F32", [2], struct.pack("<2f", 0.5, -0.5))],
          {"format": "pt", "epoch": "3"})
    write(f"{folder}/all_dtypes.safetensors", [
        ("f64", "F64", [2], struct.pack("<2d", 1.5, -2.0)),
        ("f16", "F16", [3], struct.pack("<3H", 0x3C00, 0xC000, 0x7C00)),   # 1, -2, inf
        ("bf16", "BF16", [2], struct.pack("<2H", 0x3F80, 0x0001)),         # 1, tiny
        ("i64", "I64", [1], struct.pack("<q", -5)),
        ("i32", "I32", [2], struct.pack("<2i", 7, -8)),
        ("i16", "I16", [1], struct.pack("<h", -300)),
        ("i8", "I8", [2], struct.pack("<2b", -1, 2)),
        ("u8", "U8", [2], bytes([0, 255])),
        ("flag", "BOOL", [2], bytes([1, 0])),
    ])
    write(f"{folder}/empty_and_scalar.safetensors", [
        ("nothing", "F32", [0, 4], b""),
        ("scalar", "F32", [], struct.pack("<f", 42.0)),
        ("num_batches_tracked", "I64", [], struct.pack("<q", 100)),
    ])
    write(f"{folder}/no_tensors.safetensors", [], {"note": "caf\u00e9 \"quoted\""})


if __name__ == "__main__":
    main(sys.argv[1])
