// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A bounded MessagePack reader (the AMDGPU metadata note is a msgpack map).
// It decodes every type the msgpack spec defines into a small tree whose
// strings point into the input. Lengths are checked against the bytes that
// remain before anything is read, containers grow only as elements actually
// parse (never by a claimed count), and nesting is capped, so hostile input
// costs at most time and memory linear in its size.
#ifndef DEVBIN_INTERNAL_MSGPACK_H_
#define DEVBIN_INTERNAL_MSGPACK_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "devbin/status.h"

namespace devbin::msgpack {

// Nesting beyond this is refused; real metadata nests four levels.
inline constexpr size_t kMaxDepth = 32;

// As msgpack-c classifies them: any integer >= 0 is positive whatever its
// encoding (positive fixint, uint8..64, or int8..64 holding a value >= 0).
enum class Type : uint8_t {
  kNil,
  kBool,
  kPositiveInteger,
  kNegativeInteger,
  kFloat32,
  kFloat64,
  kString,
  kBinary,
  kArray,
  kMap,
  kExtension,
};
std::string_view type_name(Type type);  // "nil", "bool", "positive integer", …

struct Value {
  Type type = Type::kNil;
  bool boolean = false;
  uint64_t unsigned_value = 0;  // kPositiveInteger
  int64_t signed_value = 0;     // kNegativeInteger
  double float_value = 0;       // kFloat32, kFloat64
  std::string_view bytes;       // kString, kBinary, kExtension (payload)
  int8_t extension_type = 0;    // kExtension
  // kArray: the elements; kMap: keys and values alternating (key 0, value 0,
  // key 1, value 1, …) so one vector serves both.
  std::vector<Value> items;

  bool is_string() const { return type == Type::kString; }
  size_t array_size() const { return type == Type::kArray ? items.size() : 0; }
  size_t map_size() const { return type == Type::kMap ? items.size() / 2 : 0; }
  const Value& map_key(size_t i) const { return items[2 * i]; }
  const Value& map_value(size_t i) const { return items[2 * i + 1]; }
  // The value of the first entry whose key is the string `key`, or null (also
  // when this is not a map).
  const Value* find(std::string_view key) const;
};

// Decodes exactly one value spanning all of `bytes`.
Result<Value> parse(std::span<const uint8_t> bytes);
// Decodes the value at the start of `bytes`; `*consumed` gets its length.
Result<Value> parse_prefix(std::span<const uint8_t> bytes, size_t* consumed);

}  // namespace devbin::msgpack

#endif  // DEVBIN_INTERNAL_MSGPACK_H_
