// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bounded msgpack reader: every type the spec defines, hostile lengths and
// nesting, and a cross-check against libmsgpack-cxx (Debian
// libmsgpack-cxx-dev, header-only, tests only) on generated documents.
#define MSGPACK_NO_BOOST
#include <msgpack.hpp>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "devbin_internal/msgpack.h"

namespace devbin::msgpack {
namespace {

std::vector<uint8_t> bytes_of(std::initializer_list<int> values) {
  std::vector<uint8_t> out;
  for (int v : values) out.push_back(static_cast<uint8_t>(v));
  return out;
}

Value parse_ok(const std::vector<uint8_t>& bytes) {
  Result<Value> value = parse(bytes);
  EXPECT_TRUE(value.ok()) << value.status().to_string();
  return value.ok() ? *value : Value();
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  Result<Value> value = parse(bytes);
  EXPECT_FALSE(value.ok());
  if (value.ok()) return "";
  EXPECT_EQ(value.status().code(), StatusCode::kDataLoss);
  return value.status().message();
}

TEST(MsgpackTest, Scalars) {
  EXPECT_EQ(parse_ok(bytes_of({0xc0})).type, Type::kNil);
  EXPECT_TRUE(parse_ok(bytes_of({0xc3})).boolean);
  EXPECT_FALSE(parse_ok(bytes_of({0xc2})).boolean);
  EXPECT_EQ(parse_ok(bytes_of({0xc2})).type, Type::kBool);

  const Value fixint = parse_ok(bytes_of({0x7f}));
  EXPECT_EQ(fixint.type, Type::kPositiveInteger);
  EXPECT_EQ(fixint.unsigned_value, 127u);
  const Value negative_fixint = parse_ok(bytes_of({0xe0}));
  EXPECT_EQ(negative_fixint.type, Type::kNegativeInteger);
  EXPECT_EQ(negative_fixint.signed_value, -32);

  EXPECT_EQ(parse_ok(bytes_of({0xcc, 0xff})).unsigned_value, 0xffu);
  EXPECT_EQ(parse_ok(bytes_of({0xcd, 0x12, 0x34})).unsigned_value, 0x1234u);
  EXPECT_EQ(parse_ok(bytes_of({0xce, 0x12, 0x34, 0x56, 0x78})).unsigned_value, 0x12345678u);
  EXPECT_EQ(parse_ok(bytes_of({0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})).unsigned_value, UINT64_MAX);

  EXPECT_EQ(parse_ok(bytes_of({0xd0, 0x80})).signed_value, -128);
  EXPECT_EQ(parse_ok(bytes_of({0xd1, 0x80, 0x00})).signed_value, -32768);
  EXPECT_EQ(parse_ok(bytes_of({0xd2, 0xff, 0xff, 0xff, 0xfe})).signed_value, -2);
  EXPECT_EQ(parse_ok(bytes_of({0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0})).signed_value, INT64_MIN);
  // A signed encoding of a non-negative value is a positive integer, as
  // msgpack-c reports it.
  const Value signed_positive = parse_ok(bytes_of({0xd1, 0x01, 0x00}));
  EXPECT_EQ(signed_positive.type, Type::kPositiveInteger);
  EXPECT_EQ(signed_positive.unsigned_value, 256u);

  const Value f32 = parse_ok(bytes_of({0xca, 0x3f, 0xc0, 0x00, 0x00}));
  EXPECT_EQ(f32.type, Type::kFloat32);
  EXPECT_EQ(f32.float_value, 1.5);
  const Value f64 = parse_ok(bytes_of({0xcb, 0xc0, 0x04, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(f64.type, Type::kFloat64);
  EXPECT_EQ(f64.float_value, -2.5);
}

TEST(MsgpackTest, StringsBinariesAndExtensions) {
  EXPECT_EQ(parse_ok(bytes_of({0xa3, 'a', 'b', 'c'})).bytes, "abc");
  EXPECT_EQ(parse_ok(bytes_of({0xd9, 2, 'h', 'i'})).bytes, "hi");
  EXPECT_EQ(parse_ok(bytes_of({0xda, 0, 1, 'x'})).bytes, "x");
  EXPECT_EQ(parse_ok(bytes_of({0xdb, 0, 0, 0, 0})).bytes, "");
  // Strings are views into the input, which must outlive them.
  const std::vector<uint8_t> bin_bytes = bytes_of({0xc4, 2, 0, 0xff});
  const Value bin = parse_ok(bin_bytes);
  EXPECT_EQ(bin.type, Type::kBinary);
  EXPECT_EQ(bin.bytes, std::string_view("\0\xff", 2));
  EXPECT_EQ(parse_ok(bytes_of({0xc5, 0, 1, 7})).bytes.size(), 1u);
  EXPECT_EQ(parse_ok(bytes_of({0xc6, 0, 0, 0, 1, 7})).bytes.size(), 1u);

  const std::vector<uint8_t> fixext4_bytes = bytes_of({0xd6, 0xff, 1, 2, 3, 4});
  const Value fixext4 = parse_ok(fixext4_bytes);
  EXPECT_EQ(fixext4.type, Type::kExtension);
  EXPECT_EQ(fixext4.extension_type, -1);
  EXPECT_EQ(fixext4.bytes.size(), 4u);
  for (int marker = 0xd4; marker <= 0xd8; ++marker) {
    std::vector<uint8_t> bytes = {static_cast<uint8_t>(marker), 5};
    bytes.resize(2 + (size_t{1} << (marker - 0xd4)), 0xaa);
    EXPECT_EQ(parse_ok(bytes).bytes.size(), bytes.size() - 2) << marker;
  }
  EXPECT_EQ(parse_ok(bytes_of({0xc7, 1, 9, 0x55})).extension_type, 9);
  EXPECT_EQ(parse_ok(bytes_of({0xc8, 0, 1, 9, 0x55})).bytes.size(), 1u);
  EXPECT_EQ(parse_ok(bytes_of({0xc9, 0, 0, 0, 1, 9, 0x55})).bytes.size(), 1u);
}

TEST(MsgpackTest, Containers) {
  const std::vector<uint8_t> map_bytes = bytes_of({0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x92, 0xc0, 0xc3});
  const Value map = parse_ok(map_bytes);
  ASSERT_EQ(map.type, Type::kMap);
  ASSERT_EQ(map.map_size(), 2u);
  EXPECT_EQ(map.map_key(1).bytes, "b");
  ASSERT_NE(map.find("a"), nullptr);
  EXPECT_EQ(map.find("a")->unsigned_value, 1u);
  ASSERT_NE(map.find("b"), nullptr);
  EXPECT_EQ(map.find("b")->array_size(), 2u);
  EXPECT_EQ(map.find("c"), nullptr);
  EXPECT_EQ(map.find("b")->find("a"), nullptr);  // not a map

  EXPECT_EQ(parse_ok(bytes_of({0xdc, 0, 2, 1, 2})).array_size(), 2u);
  EXPECT_EQ(parse_ok(bytes_of({0xdd, 0, 0, 0, 1, 0xc0})).array_size(), 1u);
  EXPECT_EQ(parse_ok(bytes_of({0xde, 0, 1, 1, 2})).map_size(), 1u);
  EXPECT_EQ(parse_ok(bytes_of({0xdf, 0, 0, 0, 1, 1, 2})).map_size(), 1u);
  // Non-string keys are legal msgpack; find() just never matches them.
  const std::vector<uint8_t> int_key_bytes = bytes_of({0x81, 0x01, 0x02});
  const Value int_keys = parse_ok(int_key_bytes);
  EXPECT_EQ(int_keys.map_size(), 1u);
  EXPECT_EQ(int_keys.find("\x01"), nullptr);
}

TEST(MsgpackTest, HostileInputIsRefused) {
  EXPECT_NE(parse_error({}).find("expected a type byte (1 bytes), found the end of the data"), std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xc1})).find("0xc1 is never used"), std::string::npos);
  // Claimed lengths far beyond the input fail before anything is read or
  // allocated.
  EXPECT_NE(parse_error(bytes_of({0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}))
                .find("string claims 4294967295 bytes; only 1 remain"),
            std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xc6, 0xff, 0xff, 0xff, 0xff})).find("binary claims 4294967295 bytes"),
            std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xc9, 0xff, 0xff, 0xff, 0xff, 1})).find("extension claims 4294967295 bytes"),
            std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0})).find("array claims 4294967295 elements"),
            std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0})).find("map claims 4294967295 entries"),
            std::string::npos);
  // A map of n entries needs 2n values.
  EXPECT_NE(parse_error(bytes_of({0x82, 0xc0, 0xc0, 0xc0})).find("map claims 2 entries; only 3 bytes remain"),
            std::string::npos);
  // Truncated fixed-size values.
  EXPECT_NE(parse_error(bytes_of({0xcf, 1, 2})).find("expected an unsigned integer (8 bytes), found 2 bytes"),
            std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xcb, 1})).find("expected a float64"), std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xda, 1})).find("expected a length (2 bytes)"), std::string::npos);
  EXPECT_NE(parse_error(bytes_of({0xd4})).find("expected an extension type"), std::string::npos);
  // Trailing bytes after the document.
  EXPECT_NE(parse_error(bytes_of({0xc0, 0xc0})).find("1 bytes follow the end of the document"), std::string::npos);
  size_t consumed = 0;
  ASSERT_TRUE(parse_prefix(bytes_of({0xc0, 0xc0}), &consumed).ok());
  EXPECT_EQ(consumed, 1u);
}

TEST(MsgpackTest, NestingIsCapped) {
  auto nested = [](size_t depth) {
    std::vector<uint8_t> bytes(depth, 0x91);  // fixarray of one element
    bytes.push_back(0xc0);
    return bytes;
  };
  EXPECT_TRUE(parse(nested(kMaxDepth)).ok());
  EXPECT_NE(parse_error(nested(kMaxDepth + 1)).find("nesting deeper than 32 levels"), std::string::npos);
  // A million levels cost no stack: the cap stops the descent.
  EXPECT_NE(parse_error(nested(1'000'000)).find("nesting deeper"), std::string::npos);
}

//===----------------------------------------------------------------------===//
// Cross-check with msgpack-c.
//===----------------------------------------------------------------------===//

using Packer = ::msgpack::packer<::msgpack::sbuffer>;

class Generator {
 public:
  explicit Generator(uint64_t seed) : random_(seed) {}

  void value(Packer& packer, int depth) {
    const int kind = static_cast<int>(pick(depth < 5 ? 17 : 13));
    switch (kind) {
      case 0: packer.pack_nil(); break;
      case 1: packer.pack_true(); break;
      case 2: packer.pack_false(); break;
      case 3: packer.pack_uint8(static_cast<uint8_t>(pick(128))); break;  // positive fixint
      case 4:
        switch (pick(4)) {
          case 0: packer.pack_fix_uint8(static_cast<uint8_t>(random_())); break;
          case 1: packer.pack_fix_uint16(static_cast<uint16_t>(random_())); break;
          case 2: packer.pack_fix_uint32(static_cast<uint32_t>(random_())); break;
          default: packer.pack_fix_uint64(random_()); break;
        }
        break;
      case 5:
        switch (pick(4)) {
          case 0: packer.pack_fix_int8(static_cast<int8_t>(random_())); break;
          case 1: packer.pack_fix_int16(static_cast<int16_t>(random_())); break;
          case 2: packer.pack_fix_int32(static_cast<int32_t>(random_())); break;
          default: packer.pack_fix_int64(static_cast<int64_t>(random_())); break;
        }
        break;
      case 6: packer.pack_int8(static_cast<int8_t>(-1 - static_cast<int>(pick(32)))); break;  // negative fixint
      case 7: packer.pack_int64(static_cast<int64_t>(random_()) >> pick(64)); break;          // shortest form
      case 8: packer.pack_float(std::bit_cast<float>(static_cast<uint32_t>(random_()))); break;
      case 9: packer.pack_double(std::bit_cast<double>(random_())); break;
      case 10: {
        const std::string body = text(length());
        packer.pack_str(static_cast<uint32_t>(body.size()));
        packer.pack_str_body(body.data(), static_cast<uint32_t>(body.size()));
        break;
      }
      case 11: {
        const std::string body = text(length());
        packer.pack_bin(static_cast<uint32_t>(body.size()));
        packer.pack_bin_body(body.data(), static_cast<uint32_t>(body.size()));
        break;
      }
      case 12: {
        static constexpr size_t kFixed[] = {1, 2, 4, 8, 16};
        const std::string body = text(pick(2) == 0 ? kFixed[pick(5)] : length());
        packer.pack_ext(body.size(), static_cast<int8_t>(random_()));
        packer.pack_ext_body(body.data(), static_cast<uint32_t>(body.size()));
        break;
      }
      case 13:
      case 14: {
        const uint32_t size = pick(8) == 0 ? 16 + static_cast<uint32_t>(pick(8)) : static_cast<uint32_t>(pick(6));
        packer.pack_array(size);
        for (uint32_t i = 0; i < size; ++i) value(packer, depth + 1);
        break;
      }
      default: {
        const uint32_t size = pick(8) == 0 ? 16 + static_cast<uint32_t>(pick(4)) : static_cast<uint32_t>(pick(5));
        packer.pack_map(size);
        for (uint32_t i = 0; i < size; ++i) {
          value(packer, depth + 1);
          value(packer, depth + 1);
        }
        break;
      }
    }
  }

  uint64_t pick(uint64_t n) { return random_() % n; }

 private:
  // Mostly short (fix and 8-bit forms), sometimes past 255 (16-bit forms).
  size_t length() { return pick(10) == 0 ? 256 + pick(200) : pick(40); }
  std::string text(size_t size) {
    std::string out(size, '\0');
    for (char& c : out) c = static_cast<char>(random_());
    return out;
  }

  std::mt19937_64 random_;
};

bool same_float(double a, double b) {
  return std::bit_cast<uint64_t>(a) == std::bit_cast<uint64_t>(b) || (std::isnan(a) && std::isnan(b));
}

// Why the two decodings differ, or "" when they agree.
std::string compare(const ::msgpack::object& expected, const Value& actual, const std::string& path = "$") {
  auto differ = [&](const std::string& what) { return path + ": " + what; };
  auto bytes_equal = [&](const char* data, uint32_t size) {
    return actual.bytes.size() == size && (size == 0 || std::memcmp(actual.bytes.data(), data, size) == 0);
  };
  switch (expected.type) {
    case ::msgpack::type::NIL:
      return actual.type == Type::kNil ? "" : differ("expected nil");
    case ::msgpack::type::BOOLEAN:
      return actual.type == Type::kBool && actual.boolean == expected.via.boolean ? "" : differ("expected bool");
    case ::msgpack::type::POSITIVE_INTEGER:
      return actual.type == Type::kPositiveInteger && actual.unsigned_value == expected.via.u64
                 ? ""
                 : differ("expected positive " + std::to_string(expected.via.u64));
    case ::msgpack::type::NEGATIVE_INTEGER:
      return actual.type == Type::kNegativeInteger && actual.signed_value == expected.via.i64
                 ? ""
                 : differ("expected negative " + std::to_string(expected.via.i64));
    case ::msgpack::type::FLOAT32:
      return actual.type == Type::kFloat32 && same_float(actual.float_value, expected.via.f64)
                 ? ""
                 : differ("expected float32");
    case ::msgpack::type::FLOAT64:
      return actual.type == Type::kFloat64 && same_float(actual.float_value, expected.via.f64)
                 ? ""
                 : differ("expected float64");
    case ::msgpack::type::STR:
      return actual.type == Type::kString && bytes_equal(expected.via.str.ptr, expected.via.str.size)
                 ? ""
                 : differ("expected a string of " + std::to_string(expected.via.str.size));
    case ::msgpack::type::BIN:
      return actual.type == Type::kBinary && bytes_equal(expected.via.bin.ptr, expected.via.bin.size)
                 ? ""
                 : differ("expected a binary of " + std::to_string(expected.via.bin.size));
    case ::msgpack::type::EXT:
      return actual.type == Type::kExtension && actual.extension_type == expected.via.ext.type() &&
                     bytes_equal(expected.via.ext.data(), expected.via.ext.size)
                 ? ""
                 : differ("expected an extension of " + std::to_string(expected.via.ext.size));
    case ::msgpack::type::ARRAY:
      if (actual.type != Type::kArray || actual.items.size() != expected.via.array.size) {
        return differ("expected an array of " + std::to_string(expected.via.array.size));
      }
      for (uint32_t i = 0; i < expected.via.array.size; ++i) {
        std::string why = compare(expected.via.array.ptr[i], actual.items[i], path + "[" + std::to_string(i) + "]");
        if (!why.empty()) return why;
      }
      return "";
    case ::msgpack::type::MAP:
      if (actual.type != Type::kMap || actual.map_size() != expected.via.map.size) {
        return differ("expected a map of " + std::to_string(expected.via.map.size));
      }
      for (uint32_t i = 0; i < expected.via.map.size; ++i) {
        const std::string at = path + "{" + std::to_string(i) + "}";
        std::string why = compare(expected.via.map.ptr[i].key, actual.map_key(i), at + ".key");
        if (why.empty()) why = compare(expected.via.map.ptr[i].val, actual.map_value(i), at + ".value");
        if (!why.empty()) return why;
      }
      return "";
  }
  return differ("unknown msgpack-c type");
}

// msgpack-c's decoding of the value at the start of `bytes`: the object and
// its length, or nothing when msgpack-c refuses it. Its limits keep claimed
// lengths from turning into huge allocations in mutated documents.
struct Reference {
  ::msgpack::object_handle handle;
  size_t consumed = 0;
};
std::optional<Reference> reference_decode(const std::vector<uint8_t>& bytes) {
  Reference reference;
  try {
    const ::msgpack::unpack_limit limits(1 << 20, 1 << 20, 1 << 24, 1 << 24, 1 << 24, 1000);
    reference.handle = ::msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size(),
                                         reference.consumed, nullptr, nullptr, limits);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return reference;
}

TEST(MsgpackCrossCheckTest, GeneratedDocumentsDecodeLikeMsgpackC) {
  Generator generator(20261124);
  size_t mutated_both_ok = 0;
  size_t mutated_both_refused = 0;
  for (int document = 0; document < 3000; ++document) {
    ::msgpack::sbuffer buffer;
    Packer packer(&buffer);
    generator.value(packer, 0);
    const std::vector<uint8_t> bytes(buffer.data(), buffer.data() + buffer.size());
    SCOPED_TRACE("document " + std::to_string(document) + " (" + std::to_string(bytes.size()) + " bytes)");

    std::optional<Reference> reference = reference_decode(bytes);
    ASSERT_TRUE(reference.has_value());
    ASSERT_EQ(reference->consumed, bytes.size());
    Result<Value> ours = parse(bytes);
    ASSERT_TRUE(ours.ok()) << ours.status().to_string();
    ASSERT_EQ(compare(reference->handle.get(), *ours), "");

    // Every proper prefix is incomplete for both readers.
    const size_t cut = generator.pick(bytes.size());
    const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    EXPECT_FALSE(parse(prefix).ok()) << "prefix of " << cut;
    EXPECT_FALSE(reference_decode(prefix).has_value()) << "prefix of " << cut;

    // One flipped byte: both readers must agree on acceptance, length and
    // content (the mutation may turn the rest into trailing bytes, so compare
    // the leading value).
    std::vector<uint8_t> mutated = bytes;
    mutated[generator.pick(mutated.size())] = static_cast<uint8_t>(generator.pick(256));
    std::optional<Reference> mutated_reference = reference_decode(mutated);
    size_t consumed = 0;
    Result<Value> mutated_ours = parse_prefix(mutated, &consumed);
    if (!mutated_ours.ok() && mutated_ours.status().message().find("nesting deeper") != std::string::npos) continue;
    ASSERT_EQ(mutated_ours.ok(), mutated_reference.has_value()) << mutated_ours.status().to_string();
    if (mutated_ours.ok()) {
      ++mutated_both_ok;
      EXPECT_EQ(consumed, mutated_reference->consumed);
      EXPECT_EQ(compare(mutated_reference->handle.get(), *mutated_ours), "");
    } else {
      ++mutated_both_refused;
    }
  }
  // The mutations exercised both outcomes.
  EXPECT_GT(mutated_both_ok, 100u);
  EXPECT_GT(mutated_both_refused, 100u);
}

TEST(MsgpackCrossCheckTest, ThirtyTwoBitFormsDecodeLikeMsgpackC) {
  // Lengths past 65535 need the 32-bit forms: str32, bin32, ext32, array32, map32.
  constexpr uint32_t kLong = 70'000;
  const std::string body(kLong, 'z');
  std::vector<std::vector<uint8_t>> documents;
  auto pack = [&documents](const auto& fill) {
    ::msgpack::sbuffer buffer;
    Packer packer(&buffer);
    fill(packer);
    documents.emplace_back(buffer.data(), buffer.data() + buffer.size());
  };
  pack([&](Packer& p) { p.pack_str(kLong).pack_str_body(body.data(), kLong); });
  pack([&](Packer& p) { p.pack_bin(kLong).pack_bin_body(body.data(), kLong); });
  pack([&](Packer& p) { p.pack_ext(kLong, 42).pack_ext_body(body.data(), kLong); });
  pack([&](Packer& p) {
    p.pack_array(kLong);
    for (uint32_t i = 0; i < kLong; ++i) p.pack_uint32(i);
  });
  pack([&](Packer& p) {
    p.pack_map(kLong);
    for (uint32_t i = 0; i < kLong; ++i) p.pack_uint32(i).pack_nil();
  });
  const uint8_t expected_markers[] = {0xdb, 0xc6, 0xc9, 0xdd, 0xdf};
  for (size_t i = 0; i < documents.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(documents[i][0], expected_markers[i]);
    std::optional<Reference> reference = reference_decode(documents[i]);
    ASSERT_TRUE(reference.has_value());
    Result<Value> ours = parse(documents[i]);
    ASSERT_TRUE(ours.ok()) << ours.status().to_string();
    EXPECT_EQ(compare(reference->handle.get(), *ours), "");
  }
}

}  // namespace
}  // namespace devbin::msgpack
