#include "engine/safetensors.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <set>

#include "base/error.h"
#include "base/files.h"
#include "base/json.h"

namespace cudagrad {

namespace {

// The reference implementation refuses headers above 100 MB; so do we, so a
// lying length cannot make us allocate gigabytes before the JSON is parsed.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

// Little-endian decoding byte by byte: correct on any host, and the compiler
// turns it into a plain load on x86 and ARM.
uint64_t load_le(const unsigned char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

float bits_to_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// IEEE half: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
float half_to_float(uint16_t h) {
  int exponent = (h >> 10) & 0x1F;
  int mantissa = h & 0x3FF;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);  // subnormal
  else if (exponent == 31)
    magnitude =
        mantissa ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400), exponent - 25);
  return (h & 0x8000) ? -magnitude : magnitude;
}

float decode_f32(const unsigned char* p) {
  return bits_to_float(static_cast<uint32_t>(load_le(p, 4)));
}
float decode_f64(const unsigned char* p) {
  uint64_t bits = load_le(p, 8);
  double d;
  std::memcpy(&d, &bits, 8);
  return static_cast<float>(d);
}
float decode_f16(const unsigned char* p) {
  return half_to_float(static_cast<uint16_t>(load_le(p, 2)));
}
// bfloat16 is the upper half of a float32.
float decode_bf16(const unsigned char* p) {
  return bits_to_float(static_cast<uint32_t>(load_le(p, 2)) << 16);
}
float decode_i64(const unsigned char* p) {
  return static_cast<float>(static_cast<int64_t>(load_le(p, 8)));
}
float decode_i32(const unsigned char* p) {
  return static_cast<float>(static_cast<int32_t>(load_le(p, 4)));
}
float decode_i16(const unsigned char* p) {
  return static_cast<float>(static_cast<int16_t>(load_le(p, 2)));
}
float decode_i8(const unsigned char* p) { return static_cast<float>(static_cast<int8_t>(p[0])); }
float decode_u8(const unsigned char* p) { return static_cast<float>(p[0]); }
float decode_bool(const unsigned char* p) { return p[0] ? 1.f : 0.f; }

struct DtypeInfo {
  const char* name;
  size_t bytes;
  float (*decode)(const unsigned char* p);  // one little-endian element to float
};
const DtypeInfo kDtypes[] = {{"F32", 4, decode_f32}, {"F64", 8, decode_f64},
                             {"F16", 2, decode_f16}, {"BF16", 2, decode_bf16},
                             {"I64", 8, decode_i64}, {"I32", 4, decode_i32},
                             {"I16", 2, decode_i16}, {"I8", 1, decode_i8},
                             {"U8", 1, decode_u8},   {"BOOL", 1, decode_bool}};

const DtypeInfo* find_dtype(const std::string& name) {
  for (const auto& d : kDtypes)
    if (name == d.name) return &d;
  return nullptr;
}

using File = std::unique_ptr<FILE, int (*)(FILE*)>;

// One tensor entry of the header, validated against the file size.
struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  Shape shape;
  uint64_t begin = 0, end = 0;
};

uint64_t checked_integer(const Json& v, const std::string& path, const std::string& what) {
  // The header grammar (HeaderGrammar) has already refused fractions and
  // integers beyond int64; what is left to refuse is a sign.
  CG_CHECK(v.is_number_unsigned(),
           path << ": " << what << " must be a non-negative integer, got "
                << (v.is_number_integer() ? "a negative integer" : json::type_name(v)));
  return v.get<uint64_t>();
}

Entry parse_entry(const std::string& path, const std::string& name, const Json& info,
                  uint64_t data_bytes) {
  Entry e;
  e.name = name;
  const std::string where = "tensor '" + name + "'";
  CG_CHECK(info.is_object(), path << ": " << where << " must be an object with dtype, shape and "
                                  << "data_offsets, got " << json::type_name(info));
  // (A key given twice was refused while parsing: HeaderGrammar.)
  const auto dtype = info.find("dtype");
  const auto shape = info.find("shape");
  const auto offsets = info.find("data_offsets");
  CG_CHECK(dtype != info.end() && shape != info.end() && offsets != info.end(),
           path << ": " << where << " must have dtype, shape and data_offsets");

  CG_CHECK(dtype->is_string(), path << ": " << where << ": dtype must be a string");
  e.dtype = find_dtype(dtype->get<std::string>());
  CG_CHECK(e.dtype, path << ": " << where << " has unsupported dtype '" << dtype->get<std::string>()
                         << "' (expected F32, F64, F16, BF16, I64, I32, I16, I8, U8 or BOOL)");

  // Products are checked against overflow before they are formed; an empty
  // tensor (a zero dimension) still may not declare an absurd shape.
  CG_CHECK(shape->is_array(), path << ": " << where << ": shape must be an array");
  uint64_t nonzero_product = 1;
  bool empty = false;
  for (const auto& dim : *shape) {
    uint64_t d = checked_integer(dim, path, where + " shape entry");
    if (d == 0) {
      empty = true;
    } else {
      CG_CHECK(nonzero_product <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / d,
               path << ": " << where << " has a shape whose size overflows 64 bits");
      nonzero_product *= d;
    }
    e.shape.push_back(static_cast<int64_t>(d));
  }
  const uint64_t numel = empty ? 0 : nonzero_product;

  CG_CHECK(offsets->is_array() && offsets->size() == 2,
           path << ": " << where << ": data_offsets must be an array [begin, end]");
  e.begin = checked_integer((*offsets)[0], path, where + " data_offsets begin");
  e.end = checked_integer((*offsets)[1], path, where + " data_offsets end");
  CG_CHECK(e.begin <= e.end, path << ": " << where << " has data_offsets begin " << e.begin
                                  << " after end " << e.end);
  CG_CHECK(e.end <= data_bytes, path << ": " << where << " has data_offsets end " << e.end
                                     << " past the end of the data area (" << data_bytes
                                     << " bytes)");
  const uint64_t span = e.end - e.begin;
  CG_CHECK(numel <= span / e.dtype->bytes && numel * e.dtype->bytes == span,
           path << ": " << where << " spans " << span << " bytes but dtype " << e.dtype->name
                << " and shape " << shape_str(e.shape) << " need " << numel << " elements of "
                << e.dtype->bytes << " bytes");
  return e;
}

// The tensors, sorted by offset, must cover [0, data_bytes) exactly once.
void check_tiling(const std::string& path, std::vector<Entry>& entries, uint64_t data_bytes) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  std::string previous = "the start of the data area";
  for (const auto& e : entries) {
    CG_CHECK(e.begin >= covered, path << ": tensor '" << e.name << "' at [" << e.begin << ", "
                                      << e.end << ") overlaps " << previous << " which ends at "
                                      << covered);
    CG_CHECK(e.begin == covered, path << ": " << (e.begin - covered)
                                      << " unused bytes before tensor '" << e.name << "' at offset "
                                      << e.begin << " (tensors must be contiguous)");
    covered = e.end;
    previous = "tensor '" + e.name + "'";
  }
  CG_CHECK(covered == data_bytes, path << ": " << (data_bytes - covered)
                                       << " trailing bytes after the last tensor (data area is "
                                       << data_bytes << " bytes, tensors cover " << covered << ")");
}

// Where the bytes come from: a file read piece by piece (so a checkpoint is
// never held in memory twice) or a buffer already in memory. read() copies
// exactly n bytes at offset; the parser only asks for ranges it has checked
// against size.
struct ByteSource {
  std::string name;  // for error messages
  uint64_t size = 0;
  std::function<void(uint64_t offset, unsigned char* dst, size_t n)> read;
};

// What a safetensors header may hold, checked while nlohmann parses it:
// objects, arrays, strings and integers within int64. Fractions, exponents,
// true/false and null have no place in a header, and accepting them would
// only widen what a damaged file can smuggle in. A name given twice in one
// object is refused (nlohmann would keep the last and lose a tensor without
// a word), and so is nesting deeper than 64 levels.
class HeaderGrammar {
 public:
  explicit HeaderGrammar(std::string path) : path_(std::move(path)) {}

  bool operator()(int depth, Json::parse_event_t event, Json& parsed) {
    using Event = Json::parse_event_t;
    if (event == Event::object_start || event == Event::array_start)
      CG_CHECK(depth < kMaxDepth,
               path_ << " header: nesting deeper than " << kMaxDepth << " levels is refused");
    if (event == Event::object_start) objects_.push_back({last_key_, {}});
    if (event == Event::object_end) objects_.pop_back();
    if (event == Event::key) {
      last_key_ = parsed.get<std::string>();
      if (!objects_.back().keys.insert(last_key_).second) repeated(last_key_);
    }
    if (event == Event::value) check_value(parsed);
    return true;  // keep every value
  }

 private:
  static constexpr int kMaxDepth = 64;
  struct Object {
    std::string key;  // the name this object is the value of ("" for the header itself)
    std::set<std::string> keys;
  };

  [[noreturn]] void repeated(const std::string& name) const {
    if (objects_.size() == 1)
      CG_FAIL(path_ << ": name '" << name << "' appears twice in the header");
    const std::string& owner = objects_.back().key;
    if (objects_.size() == 2 && owner == "__metadata__")
      CG_FAIL(path_ << ": __metadata__ key '" << name << "' appears twice");
    CG_FAIL(path_ << ": tensor '" << owner << "' has key '" << name << "' twice");
  }

  void check_value(const Json& v) const {
    if (v.is_number_float()) {
      // nlohmann reads an integer too large for 64 bits as a double.
      const double x = v.get<double>();
      CG_CHECK(!(x == std::floor(x) && std::fabs(x) >= 9.2e18),
               path_ << " header: an integer outside the 64-bit range");
      CG_FAIL(path_ << " header: a number with a fraction or exponent is not accepted "
                       "(only integers)");
    }
    CG_CHECK(!v.is_number_unsigned() || v.get<uint64_t>() <= uint64_t(INT64_MAX),
             path_ << " header: an integer outside the 64-bit range");
    CG_CHECK(!v.is_boolean() && !v.is_null(),
             path_ << " header: " << v.dump() << " is not accepted (only objects, arrays, "
                   << "strings and integers)");
  }

  std::string path_;
  std::vector<Object> objects_;
  std::string last_key_;
};

NamedTensors parse_safetensors(const ByteSource& src, SafetensorsMetadata* metadata) {
  const std::string& path = src.name;
  const uint64_t file_bytes = src.size;
  CG_CHECK(file_bytes >= 8,
           path << ": file is " << file_bytes << " bytes, too short for the 8-byte header length");

  unsigned char length_bytes[8];
  src.read(0, length_bytes, 8);
  const uint64_t header_bytes = load_le(length_bytes, 8);
  CG_CHECK(header_bytes <= file_bytes - 8, path << ": header length " << header_bytes
                                                << " runs past the end of the file (" << file_bytes
                                                << " bytes, so at most " << file_bytes - 8 << ")");
  CG_CHECK(header_bytes <= kMaxHeaderBytes,
           path << ": header length " << header_bytes << " exceeds the 100 MB limit");
  CG_CHECK(header_bytes >= 2,
           path << ": header length " << header_bytes << " is too short for a JSON object");

  std::string header(header_bytes, '\0');
  src.read(8, reinterpret_cast<unsigned char*>(&header[0]), header_bytes);
  const Json root = json::parse(header, path + " header", HeaderGrammar(path));
  CG_CHECK(root.is_object(),
           path << ": header must be a JSON object, got " << json::type_name(root));

  const uint64_t data_start = 8 + header_bytes;
  const uint64_t data_bytes = file_bytes - data_start;
  std::vector<Entry> entries;
  SafetensorsMetadata meta;
  // (A name given twice was refused while parsing: HeaderGrammar.)
  for (const auto& member : root.items()) {
    const std::string& name = member.key();
    // save_safetensors refuses an empty name, so load does too: a tensor
    // nobody can ask for by name is a damaged header, not data.
    CG_CHECK(!name.empty(), path << ": a tensor in the header has an empty name");
    if (name == "__metadata__") {
      CG_CHECK(member.value().is_object(), path << ": __metadata__ must be an object of strings");
      for (const auto& kv : member.value().items()) {
        CG_CHECK(kv.value().is_string(),
                 path << ": __metadata__ value for '" << kv.key() << "' must be a string");
        meta.emplace(kv.key(), kv.value().get<std::string>());
      }
      continue;
    }
    entries.push_back(parse_entry(path, name, member.value(), data_bytes));
  }
  check_tiling(path, entries, data_bytes);

  NamedTensors out;
  std::vector<unsigned char> raw;
  for (const auto& e : entries) {
    Tensor t = Tensor::empty(e.shape);
    const size_t bytes = static_cast<size_t>(e.end - e.begin);
    raw.resize(bytes);
    src.read(data_start + e.begin, raw.data(), bytes);
    const int64_t n = t.numel();
    float* dst = t.data();
    for (int64_t i = 0; i < n; ++i) dst[i] = e.dtype->decode(raw.data() + i * e.dtype->bytes);
    out.emplace_back(e.name, t);
  }
  if (metadata) *metadata = std::move(meta);
  return out;
}

}  // namespace

NamedTensors load_safetensors(const std::string& path, SafetensorsMetadata* metadata) {
  File f(std::fopen(path.c_str(), "rb"), &std::fclose);
  CG_CHECK(f, "cannot open safetensors file " << path << ": " << std::strerror(errno));
  // fopen succeeds on a folder, and a folder's "size" is meaningless.
  struct stat info;
  CG_CHECK(::fstat(::fileno(f.get()), &info) == 0 && S_ISREG(info.st_mode),
           path << ": not a regular file (a folder?); expected a safetensors file");
  CG_CHECK(std::fseek(f.get(), 0, SEEK_END) == 0, path << ": cannot seek");
  long size_or_error = std::ftell(f.get());
  CG_CHECK(size_or_error >= 0, path << ": cannot determine the file size");

  ByteSource src;
  src.name = path;
  src.size = static_cast<uint64_t>(size_or_error);
  src.read = [&](uint64_t offset, unsigned char* dst, size_t bytes) {
    if (bytes == 0) return;
    CG_CHECK(std::fseek(f.get(), static_cast<long>(offset), SEEK_SET) == 0 &&
                 std::fread(dst, 1, bytes, f.get()) == bytes,
             path << ": could not read " << bytes << " bytes at offset " << offset);
  };
  return parse_safetensors(src, metadata);
}

NamedTensors load_safetensors_bytes(const unsigned char* data, size_t size,
                                    const std::string& source, SafetensorsMetadata* metadata) {
  ByteSource src;
  src.name = source;
  src.size = size;
  src.read = [&](uint64_t offset, unsigned char* dst, size_t bytes) {
    if (bytes > 0) std::memcpy(dst, data + offset, bytes);
  };
  return parse_safetensors(src, metadata);
}

namespace {

// Closes the stream on every path out of save_safetensors (the temporary
// file itself is files::TemporaryFile's).
struct ClosingFile {
  FILE* f = nullptr;
  ~ClosingFile() {
    if (f) std::fclose(f);
  }
};

std::string header_json(const NamedTensors& tensors, const SafetensorsMetadata& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;  // a map of strings: an object
  uint64_t offset = 0;
  for (const auto& nt : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(nt.second.numel()) * 4;
    header[nt.first] = {{"dtype", "F32"},
                        {"shape", nt.second.shape()},
                        {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = json::to_compact_text(header);
  // Padding with spaces keeps the data area 8-byte aligned, as other writers do.
  while (h.size() % 8) h += ' ';
  return h;
}

}  // namespace

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const SafetensorsMetadata& metadata) {
  std::set<std::string> names;
  for (const auto& nt : tensors) {
    CG_CHECK(!nt.first.empty(), "save_safetensors " << path << ": a tensor has an empty name");
    CG_CHECK(nt.first != "__metadata__",
             "save_safetensors " << path << ": '__metadata__' is reserved, not a tensor name");
    CG_CHECK(names.insert(nt.first).second,
             "save_safetensors " << path << ": tensor name '" << nt.first << "' given twice");
    CG_CHECK(nt.second.defined(),
             "save_safetensors " << path << ": tensor '" << nt.first << "' is undefined");
  }
  const std::string header = header_json(tensors, metadata);

  // The one writer (base/files.h) checks the target and owns the
  // temporary; the tensors are streamed into it rather than built as one
  // string, so a large model is not held twice in memory.
  files::TemporaryFile temporary(path);
  ClosingFile out;
  out.f = std::fopen(temporary.path().c_str(), "wb");
  if (!out.f) throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
  auto write = [&](const void* p, size_t n) {
    if (std::fwrite(p, 1, n, out.f) != n)
      throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
  };

  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(header.size() >> (8 * i));
  write(length, 8);
  write(header.data(), header.size());
  std::vector<unsigned char> bytes;
  for (const auto& nt : tensors) {
    std::vector<float> values = nt.second.to_vector();
    bytes.resize(values.size() * 4);
    for (size_t i = 0; i < values.size(); ++i) {
      uint32_t bits;
      std::memcpy(&bits, &values[i], 4);
      for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<unsigned char>(bits >> (8 * b));
    }
    write(bytes.data(), bytes.size());
  }
  // The data must be on disk before the rename makes it visible under `path`.
  if (std::fflush(out.f) != 0 || ::fsync(::fileno(out.f)) != 0)
    throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
  FILE* f = out.f;
  out.f = nullptr;
  if (std::fclose(f) != 0) throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
  temporary.commit();
}

const Tensor& find_tensor(const NamedTensors& tensors, const std::string& name,
                          const std::string& source) {
  for (const auto& nt : tensors)
    if (nt.first == name) return nt.second;
  std::string known;
  for (const auto& nt : tensors) known += (known.empty() ? "" : ", ") + nt.first;
  CG_FAIL(source << ": no tensor named '" << name << "' (has: " << known << ")");
}

}  // namespace cudagrad
