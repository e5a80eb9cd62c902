// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin_internal/msgpack.h"

#include <bit>
#include <cstdio>
#include <string>

namespace devbin::msgpack {
namespace {

std::string offset_text(size_t offset) { return "msgpack at offset " + std::to_string(offset); }

class Parser {
 public:
  explicit Parser(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t position() const { return pos_; }

  Status parse_value(Value* out, size_t depth) {
    if (depth > kMaxDepth) {
      return data_loss(offset_text(pos_) + ": nesting deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    const size_t start = pos_;
    uint8_t marker = 0;
    DEVBIN_RETURN_IF_ERROR(read_u8(&marker, "a type byte"));
    if (marker <= 0x7f) return set_positive(out, marker);
    if (marker >= 0xe0) return set_signed(out, static_cast<int8_t>(marker));
    if ((marker & 0xf0) == 0x80) return parse_container(out, Type::kMap, marker & 0x0f, depth, start);
    if ((marker & 0xf0) == 0x90) return parse_container(out, Type::kArray, marker & 0x0f, depth, start);
    if ((marker & 0xe0) == 0xa0) return parse_bytes(out, Type::kString, marker & 0x1f, start);
    uint64_t length = 0;
    switch (marker) {
      case 0xc0: out->type = Type::kNil; return Status::Ok();
      case 0xc1: return data_loss(offset_text(start) + ": type byte 0xc1 is never used in msgpack");
      case 0xc2:
      case 0xc3:
        out->type = Type::kBool;
        out->boolean = marker == 0xc3;
        return Status::Ok();
      case 0xc4: case 0xc5: case 0xc6:
        DEVBIN_RETURN_IF_ERROR(read_length(marker - 0xc4, &length));
        return parse_bytes(out, Type::kBinary, length, start);
      case 0xc7: case 0xc8: case 0xc9:
        DEVBIN_RETURN_IF_ERROR(read_length(marker - 0xc7, &length));
        return parse_extension(out, length, start);
      case 0xca: {
        uint64_t bits = 0;
        DEVBIN_RETURN_IF_ERROR(read_be(4, &bits, "a float32"));
        out->type = Type::kFloat32;
        out->float_value = std::bit_cast<float>(static_cast<uint32_t>(bits));
        return Status::Ok();
      }
      case 0xcb: {
        uint64_t bits = 0;
        DEVBIN_RETURN_IF_ERROR(read_be(8, &bits, "a float64"));
        out->type = Type::kFloat64;
        out->float_value = std::bit_cast<double>(bits);
        return Status::Ok();
      }
      case 0xcc: case 0xcd: case 0xce: case 0xcf: {
        uint64_t value = 0;
        DEVBIN_RETURN_IF_ERROR(read_be(size_t{1} << (marker - 0xcc), &value, "an unsigned integer"));
        return set_positive(out, value);
      }
      case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        const size_t size = size_t{1} << (marker - 0xd0);
        uint64_t raw = 0;
        DEVBIN_RETURN_IF_ERROR(read_be(size, &raw, "a signed integer"));
        // Sign-extend the `size`-byte two's complement value.
        const unsigned shift = static_cast<unsigned>(64 - 8 * size);
        const int64_t value = static_cast<int64_t>(raw << shift) >> shift;
        return set_signed(out, value);
      }
      case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        return parse_extension(out, uint64_t{1} << (marker - 0xd4), start);
      case 0xd9: case 0xda: case 0xdb:
        DEVBIN_RETURN_IF_ERROR(read_length(marker - 0xd9, &length));
        return parse_bytes(out, Type::kString, length, start);
      case 0xdc: case 0xdd:
        DEVBIN_RETURN_IF_ERROR(read_length(marker - 0xdc + 1, &length));
        return parse_container(out, Type::kArray, length, depth, start);
      case 0xde: case 0xdf:
        DEVBIN_RETURN_IF_ERROR(read_length(marker - 0xde + 1, &length));
        return parse_container(out, Type::kMap, length, depth, start);
      default: break;
    }
    // Every byte value is covered above; this guards future edits.
    return internal_error(offset_text(start) + ": unhandled type byte");
  }

 private:
  size_t remaining() const { return bytes_.size() - pos_; }

  Status truncated(size_t need, std::string_view what) const {
    return data_loss(offset_text(pos_) + ": expected " + std::string(what) + " (" + std::to_string(need) +
                     " bytes), found " + (remaining() == 0 ? "the end of the data" : std::to_string(remaining()) +
                     " bytes"));
  }

  Status read_u8(uint8_t* out, std::string_view what) {
    if (remaining() < 1) return truncated(1, what);
    *out = bytes_[pos_++];
    return Status::Ok();
  }

  Status read_be(size_t size, uint64_t* out, std::string_view what) {
    if (remaining() < size) return truncated(size, what);
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i) value = (value << 8) | bytes_[pos_ + i];
    pos_ += size;
    *out = value;
    return Status::Ok();
  }

  // width_code 0, 1, 2: a 1-, 2- or 4-byte big-endian length.
  Status read_length(int width_code, uint64_t* out) {
    return read_be(size_t{1} << width_code, out, "a length");
  }

  static Status set_positive(Value* out, uint64_t value) {
    out->type = Type::kPositiveInteger;
    out->unsigned_value = value;
    return Status::Ok();
  }

  static Status set_signed(Value* out, int64_t value) {
    if (value >= 0) return set_positive(out, static_cast<uint64_t>(value));
    out->type = Type::kNegativeInteger;
    out->signed_value = value;
    return Status::Ok();
  }

  Status parse_bytes(Value* out, Type type, uint64_t length, size_t start) {
    if (length > remaining()) {
      return data_loss(offset_text(start) + ": " + std::string(type_name(type)) + " claims " +
                       std::to_string(length) + " bytes; only " + std::to_string(remaining()) + " remain");
    }
    out->type = type;
    out->bytes = std::string_view(reinterpret_cast<const char*>(bytes_.data() + pos_), static_cast<size_t>(length));
    pos_ += static_cast<size_t>(length);
    return Status::Ok();
  }

  Status parse_extension(Value* out, uint64_t length, size_t start) {
    uint8_t type = 0;
    DEVBIN_RETURN_IF_ERROR(read_u8(&type, "an extension type"));
    DEVBIN_RETURN_IF_ERROR(parse_bytes(out, Type::kExtension, length, start));
    out->extension_type = static_cast<int8_t>(type);
    return Status::Ok();
  }

  Status parse_container(Value* out, Type type, uint64_t count, size_t depth, size_t start) {
    // Every element takes at least one byte: a count the rest of the input
    // cannot hold is refused before any element is parsed.
    const uint64_t elements = type == Type::kMap ? count * 2 : count;
    if (elements > remaining()) {
      return data_loss(offset_text(start) + ": " + std::string(type_name(type)) + " claims " +
                       std::to_string(count) + (type == Type::kMap ? " entries" : " elements") + "; only " +
                       std::to_string(remaining()) + " bytes remain");
    }
    out->type = type;
    for (uint64_t i = 0; i < elements; ++i) {
      out->items.emplace_back();
      DEVBIN_RETURN_IF_ERROR(parse_value(&out->items.back(), depth + 1));
    }
    return Status::Ok();
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::kNil: return "nil";
    case Type::kBool: return "bool";
    case Type::kPositiveInteger: return "positive integer";
    case Type::kNegativeInteger: return "negative integer";
    case Type::kFloat32: return "float32";
    case Type::kFloat64: return "float64";
    case Type::kString: return "string";
    case Type::kBinary: return "binary";
    case Type::kArray: return "array";
    case Type::kMap: return "map";
    case Type::kExtension: return "extension";
  }
  return "unknown";
}

const Value* Value::find(std::string_view key) const {
  for (size_t i = 0; i < map_size(); ++i) {
    if (map_key(i).type == Type::kString && map_key(i).bytes == key) return &map_value(i);
  }
  return nullptr;
}

Result<Value> parse_prefix(std::span<const uint8_t> bytes, size_t* consumed) {
  Parser parser(bytes);
  Value value;
  DEVBIN_RETURN_IF_ERROR(parser.parse_value(&value, 0));
  *consumed = parser.position();
  return value;
}

Result<Value> parse(std::span<const uint8_t> bytes) {
  size_t consumed = 0;
  DEVBIN_ASSIGN_OR_RETURN(Value value, parse_prefix(bytes, &consumed));
  if (consumed != bytes.size()) {
    return data_loss(offset_text(consumed) + ": " + std::to_string(bytes.size() - consumed) +
                     " bytes follow the end of the document");
  }
  return value;
}

}  // namespace devbin::msgpack
