// The safetensors reader on arbitrary bytes (load_safetensors_bytes runs the
// same parser as a file on disk). The JSON reader (nlohmann through
// base/json.h) also gets the raw bytes, with the full grammar, so it is
// reachable without a valid 8-byte length in front and without the header
// grammar's limits: whatever it is fed must end in a value or an Error.
//
// A file that loads must agree with itself: every tensor's element count is
// its shape's product, names are unique and not "__metadata__".
#include <cstdint>
#include <set>
#include <string>

#include "base/error.h"
#include "base/json.h"
#include "engine/safetensors.h"
#include "fuzz/fuzz_check.h"

using namespace cudagrad;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    SafetensorsMetadata metadata;
    NamedTensors tensors = load_safetensors_bytes(data, size, "fuzz.safetensors", &metadata);
    std::set<std::string> names;
    for (const auto& [name, t] : tensors) {
      FUZZ_CHECK(!name.empty() && name != "__metadata__" && names.insert(name).second);
      int64_t numel = 1;
      for (int64_t d : t.shape()) {
        FUZZ_CHECK(d >= 0);
        numel *= d;
      }
      FUZZ_CHECK(t.numel() == numel);
      FUZZ_CHECK(static_cast<size_t>(numel) <= size);  // no element without a byte behind it
    }
  } catch (const Error&) {
  }
  try {
    json::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
  } catch (const Error&) {
  }
  return 0;
}
