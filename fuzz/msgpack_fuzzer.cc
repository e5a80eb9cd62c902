// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The msgpack reader behind the AMDGPU kernel metadata. Besides "no crash":
// when msgpack-c (the reference implementation) is at hand, both readers must
// agree: what one decodes the other decodes to the same tree, and what ours
// refuses msgpack-c refuses too (nesting beyond our cap aside).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "devbin_internal/msgpack.h"
#include "fuzz/fuzz_check.h"

#ifdef DEVBIN_FUZZ_HAVE_MSGPACK_C
#include <msgpack.hpp>
#endif

namespace {

namespace mp = devbin::msgpack;

// Touches every node the way the metadata decoder does.
size_t walk(const mp::Value& value, size_t depth) {
  DEVBIN_FUZZ_CHECK(depth <= mp::kMaxDepth + 1, "a tree deeper than the cap");
  if (value.type == mp::Type::kMap) DEVBIN_FUZZ_CHECK(value.items.size() % 2 == 0, "a map with an odd item count");
  size_t nodes = 1;
  for (size_t i = 0; i < value.map_size(); ++i) {
    if (value.map_key(i).is_string()) {
      const mp::Value* found = value.find(value.map_key(i).bytes);
      DEVBIN_FUZZ_CHECK(found != nullptr, "find() misses a key the map holds");
    }
  }
  for (const mp::Value& item : value.items) nodes += walk(item, depth + 1);
  return nodes;
}

#ifdef DEVBIN_FUZZ_HAVE_MSGPACK_C
bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Whether msgpack-c's object and ours hold the same tree.
bool same_tree(const msgpack::object& theirs, const mp::Value& ours) {
  auto bytes_equal = [&](const char* ptr, uint32_t size) {
    return ours.bytes.size() == size && (size == 0 || std::memcmp(ptr, ours.bytes.data(), size) == 0);
  };
  switch (theirs.type) {
    case msgpack::type::NIL: return ours.type == mp::Type::kNil;
    case msgpack::type::BOOLEAN: return ours.type == mp::Type::kBool && ours.boolean == theirs.via.boolean;
    case msgpack::type::POSITIVE_INTEGER:
      return ours.type == mp::Type::kPositiveInteger && ours.unsigned_value == theirs.via.u64;
    case msgpack::type::NEGATIVE_INTEGER:
      return ours.type == mp::Type::kNegativeInteger && ours.signed_value == theirs.via.i64;
    case msgpack::type::FLOAT32: return ours.type == mp::Type::kFloat32 && same_bits(ours.float_value, theirs.via.f64);
    case msgpack::type::FLOAT64: return ours.type == mp::Type::kFloat64 && same_bits(ours.float_value, theirs.via.f64);
    case msgpack::type::STR: return ours.type == mp::Type::kString && bytes_equal(theirs.via.str.ptr, theirs.via.str.size);
    case msgpack::type::BIN: return ours.type == mp::Type::kBinary && bytes_equal(theirs.via.bin.ptr, theirs.via.bin.size);
    case msgpack::type::EXT:
      return ours.type == mp::Type::kExtension && ours.extension_type == theirs.via.ext.type() &&
             bytes_equal(theirs.via.ext.data(), theirs.via.ext.size);
    case msgpack::type::ARRAY:
      if (ours.type != mp::Type::kArray || ours.items.size() != theirs.via.array.size) return false;
      for (uint32_t i = 0; i < theirs.via.array.size; ++i) {
        if (!same_tree(theirs.via.array.ptr[i], ours.items[i])) return false;
      }
      return true;
    case msgpack::type::MAP:
      if (ours.type != mp::Type::kMap || ours.map_size() != theirs.via.map.size) return false;
      for (uint32_t i = 0; i < theirs.via.map.size; ++i) {
        if (!same_tree(theirs.via.map.ptr[i].key, ours.map_key(i)) ||
            !same_tree(theirs.via.map.ptr[i].val, ours.map_value(i))) {
          return false;
        }
      }
      return true;
  }
  return false;
}

size_t depth_of(const msgpack::object& object) {
  size_t deepest = 0;
  if (object.type == msgpack::type::ARRAY) {
    for (uint32_t i = 0; i < object.via.array.size; ++i) deepest = std::max(deepest, depth_of(object.via.array.ptr[i]));
  } else if (object.type == msgpack::type::MAP) {
    for (uint32_t i = 0; i < object.via.map.size; ++i) {
      deepest = std::max({deepest, depth_of(object.via.map.ptr[i].key), depth_of(object.via.map.ptr[i].val)});
    }
  }
  return deepest + 1;
}
#endif

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  devbin::Result<mp::Value> ours = mp::parse(bytes);
  devbin::fuzz::check_result(ours);
  if (ours.ok()) walk(*ours, 0);

  size_t consumed = 0;
  devbin::Result<mp::Value> prefix = mp::parse_prefix(bytes, &consumed);
  devbin::fuzz::check_result(prefix);
  if (prefix.ok()) {
    DEVBIN_FUZZ_CHECK(consumed >= 1 && consumed <= size, "parse_prefix consumed " + std::to_string(consumed));
    DEVBIN_FUZZ_CHECK(ours.ok() == (consumed == size), "parse and parse_prefix disagree on where the value ends");
  } else {
    DEVBIN_FUZZ_CHECK(!ours.ok(), "parse succeeds where parse_prefix fails");
  }

#ifdef DEVBIN_FUZZ_HAVE_MSGPACK_C
  // Limits keep msgpack-c from allocating by a claimed count: no container or
  // string can really be longer than the input.
  const size_t n = size;
  const msgpack::unpack_limit limit(n, n, n, n, n, mp::kMaxDepth + 8);
  bool theirs_ok = false;
  msgpack::object_handle handle;
  try {
    size_t offset = 0;
    handle = msgpack::unpack(reinterpret_cast<const char*>(data), size, offset, nullptr, nullptr, limit);
    theirs_ok = offset == size;
  } catch (...) {
    theirs_ok = false;
  }
  if (ours.ok()) {
    DEVBIN_FUZZ_CHECK(theirs_ok, "ours decodes what msgpack-c refuses");
    DEVBIN_FUZZ_CHECK(same_tree(handle.get(), *ours), "ours and msgpack-c decode different trees");
  } else if (theirs_ok && depth_of(handle.get()) + 1 < mp::kMaxDepth) {
    DEVBIN_FUZZ_CHECK(false, "msgpack-c decodes what ours refuses: " + ours.status().to_string());
  }
#endif
  return 0;
}
