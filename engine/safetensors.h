// Reading and writing the safetensors format (the Hugging Face checkpoint
// format), so weights move between cudagrad and PyTorch.
//
// Layout of a file:
//   bytes [0, 8)        N, the header length, a little-endian uint64
//   bytes [8, 8 + N)    a JSON object, optionally padded with spaces:
//                         {"__metadata__": {"key": "value", ...},
//                          "name": {"dtype": "F32", "shape": [2, 3],
//                                   "data_offsets": [begin, end]}, ...}
//   bytes [8 + N, end)  the data area: each tensor's raw little-endian
//                       elements, row-major, at [begin, end) relative to
//                       the start of the data area.
//
// A file comes from outside the program, so the reader trusts nothing in it:
// every length and offset is checked against the file size before use, the
// tensors must tile the data area exactly (no overlap, no gap, nothing after
// the last one), and any violation is a cudagrad::Error naming the file.
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace cudagrad {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;
using SafetensorsMetadata = std::map<std::string, std::string>;

// Loads every tensor as a float32 CPU tensor, in the order of their data in
// the file. Stored dtypes F32, F64, F16, BF16, I64, I32, I16, I8, U8 and BOOL
// are converted to float (wide integers and F64 may round). If metadata is
// given it receives the "__metadata__" entries.
NamedTensors load_safetensors(const std::string& path, SafetensorsMetadata* metadata = nullptr);

// The same from a whole file already in memory; `source` names it in error
// messages. Both share one parser, so tests and the fuzzer (fuzz/) exercise
// exactly the checks a file on disk goes through.
NamedTensors load_safetensors_bytes(const unsigned char* data, size_t size,
                                    const std::string& source,
                                    SafetensorsMetadata* metadata = nullptr);

// Writes the tensors (any device) as F32 in the given order, replacing `path`
// atomically: the bytes go to "<path>.tmp.<pid>", are flushed to disk, and
// the temporary is renamed over `path`, so a crash never leaves a torn file.
// Names must be non-empty, unique and not "__metadata__".
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const SafetensorsMetadata& metadata = {});

// The tensor called name in a loaded list; an Error naming `source` if absent.
const Tensor& find_tensor(const NamedTensors& tensors, const std::string& name,
                          const std::string& source = "tensor list");

}  // namespace cudagrad
