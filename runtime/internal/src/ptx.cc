// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// PTX text: the ".version" and ".target" directives and each ".entry" with
// its parameters. A bounded scanner over the text, not a PTX parser: it reads
// top-level directives and skips everything inside braces.
#include <algorithm>
#include <bit>
#include <string>

#include "devbin_internal/inspect.h"

namespace devbin::code_object {
namespace {

// Kernels with no parameters report the alignment a cubin kernel reports.
constexpr uint32_t kDefaultParameterAlign = 8;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' || c == '%' ||
         c == '.';
}

struct Token {
  std::string_view text;
  size_t offset = 0;
};

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  // The next token, or an empty token at the end of the text.
  Result<Token> next() {
    DEVBIN_RETURN_IF_ERROR(skip_space_and_comments());
    Token token;
    token.offset = pos_;
    if (pos_ >= text_.size()) return token;
    const char c = text_[pos_];
    size_t end = pos_ + 1;
    if (is_word(c)) {
      while (end < text_.size() && is_word(text_[end])) ++end;
    } else if (c == '"') {
      while (end < text_.size() && text_[end] != '"' && text_[end] != '\n') ++end;
      if (end >= text_.size() || text_[end] != '"') {
        return data_loss("PTX string starting at byte " + std::to_string(pos_) + " is not closed on its line");
      }
      ++end;
    }
    token.text = text_.substr(pos_, end - pos_);
    pos_ = end;
    return token;
  }

  // After a '{': skips to just past the matching '}'. Kernel bodies are most
  // of a PTX file and hold nothing this reader needs, so they are scanned a
  // character at a time for braces, comments and strings, not tokenized.
  Status skip_block() {
    const size_t open = pos_ - 1;
    size_t depth = 1;
    const char* const begin = text_.data();
    const char* const end = begin + text_.size();
    for (const char* p = begin + pos_; p < end; ++p) {
      const char c = *p;
      if (c == '{') {
        ++depth;
      } else if (c == '}') {
        if (--depth == 0) {
          pos_ = static_cast<size_t>(p + 1 - begin);
          return Status::Ok();
        }
      } else if (c == '/' && p + 1 < end && (p[1] == '/' || p[1] == '*')) {
        pos_ = static_cast<size_t>(p - begin);
        DEVBIN_RETURN_IF_ERROR(skip_space_and_comments());
        p = begin + pos_ - 1;
      } else if (c == '"') {
        const char* close = p + 1;
        while (close < end && *close != '"' && *close != '\n') ++close;
        if (close == end || *close != '"') {
          return data_loss("PTX string starting at byte " + std::to_string(p - begin) + " is not closed on its line");
        }
        p = close;
      }
    }
    pos_ = text_.size();
    return data_loss("PTX at byte " + std::to_string(text_.size()) +
                     ": expected '}' closing every '{' (the block opened at byte " + std::to_string(open) +
                     "), found the end of the text");
  }

 private:
  Status skip_space_and_comments() {
    while (pos_ < text_.size()) {
      if (is_space(text_[pos_])) {
        ++pos_;
      } else if (text_.substr(pos_, 2) == "//") {
        const size_t end = text_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? text_.size() : end + 1;
      } else if (text_.substr(pos_, 2) == "/*") {
        const size_t end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) {
          return data_loss("PTX comment starting at byte " + std::to_string(pos_) + " is not closed");
        }
        pos_ = end + 2;
      } else {
        break;
      }
    }
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

Status unexpected(const Token& token, std::string_view expected) {
  return data_loss("PTX at byte " + std::to_string(token.offset) + ": expected " + std::string(expected) +
                   ", found " + (token.text.empty() ? std::string("the end of the text")
                                                    : "'" + std::string(token.text.substr(0, 40)) + "'"));
}

// A decimal number of at most 9 digits, so it always fits a uint32_t.
bool parse_small_number(std::string_view text, uint32_t* out) {
  if (text.empty() || text.size() > 9 || !std::all_of(text.begin(), text.end(), is_digit)) return false;
  uint32_t value = 0;
  for (char c : text) value = value * 10 + static_cast<uint32_t>(c - '0');
  *out = value;
  return true;
}

// Bytes of a PTX fundamental type, or 0 when `type` is not one.
uint32_t type_size(std::string_view type) {
  static constexpr std::pair<std::string_view, uint32_t> kTypes[] = {
      {".b8", 1},  {".u8", 1},  {".s8", 1},  {".b16", 2},    {".u16", 2},  {".s16", 2},    {".f16", 2},
      {".bf16", 2}, {".b32", 4}, {".u32", 4}, {".s32", 4},   {".f32", 4},  {".f16x2", 4},  {".bf16x2", 4},
      {".b64", 8}, {".u64", 8}, {".s64", 8}, {".f64", 8},   {".b128", 16},
  };
  for (const auto& [name, size] : kTypes) {
    if (name == type) return size;
  }
  return 0;
}

struct Parameter {
  uint32_t size = 0;
  uint32_t align = 0;
};

// After ".param": attributes, a type, a name and an optional "[N]", up to the
// ',' or ')' that ends the parameter (left unread in *token).
Status parse_parameter(Lexer* lexer, Token* token, Parameter* parameter) {
  uint32_t element = 0;
  uint32_t explicit_align = 0;
  uint64_t count = 1;
  bool have_name = false;
  bool pointer = false;  // after .ptr, ".align N" is the pointee's alignment
  while (true) {
    DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
    const std::string_view text = token->text;
    if (text == "," || text == ")") break;
    if (text.empty()) return unexpected(*token, "')' closing the parameter list");
    if (text == ".align") {
      DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
      uint32_t align = 0;
      if (!parse_small_number(token->text, &align) || !std::has_single_bit(align)) {
        return unexpected(*token, "a power-of-two alignment after .align");
      }
      if (!pointer) explicit_align = align;
    } else if (const uint32_t size = type_size(text); size != 0) {
      element = size;
    } else if (text == "[") {
      DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
      uint32_t dimension = 0;
      if (!parse_small_number(token->text, &dimension)) return unexpected(*token, "an array size");
      count *= dimension;
      if (count > UINT32_MAX) return unexpected(*token, "an array of fewer than 4294967296 elements");
      DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
      if (token->text != "]") return unexpected(*token, "']'");
    } else if (text == ".ptr") {
      pointer = true;
    } else if (text.starts_with('.')) {
      // State spaces (.global, .const, …) qualify pointer parameters.
    } else if (!have_name && !is_digit(text[0]) && is_word(text[0])) {
      have_name = true;
    } else {
      return unexpected(*token, "a parameter type, name or attribute");
    }
  }
  if (element == 0) return unexpected(*token, "a parameter type (.b8, .u32, .u64, …) before it");
  const uint64_t size = count * element;
  if (size > UINT32_MAX) return unexpected(*token, "a parameter smaller than 4 GiB");
  parameter->size = static_cast<uint32_t>(size);
  parameter->align = explicit_align != 0 ? explicit_align : element;
  return Status::Ok();
}

Status parse_entry(Lexer* lexer, Token* token, KernelInfo* kernel) {
  DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
  if (token->text.empty() || !is_word(token->text[0]) || is_digit(token->text[0])) {
    return unexpected(*token, "a kernel name after .entry");
  }
  kernel->name = std::string(token->text);
  kernel->symbol = kernel->name;
  kernel->kernarg_segment_align = kDefaultParameterAlign;
  DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
  if (token->text != "(") return Status::Ok();  // no parameter list; *token is whatever follows
  uint64_t end = 0;
  uint32_t max_align = 0;
  DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
  if (token->text != ")") {
    while (true) {
      if (token->text != ".param") return unexpected(*token, "'.param' in the parameter list of " + kernel->name);
      Parameter parameter;
      DEVBIN_RETURN_IF_ERROR(parse_parameter(lexer, token, &parameter));
      end = (end + parameter.align - 1) / parameter.align * parameter.align + parameter.size;
      if (end > UINT32_MAX) return unexpected(*token, "parameters of fewer than 4 GiB in all");
      max_align = std::max(max_align, parameter.align);
      if (token->text == ")") break;
      DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
    }
  }
  kernel->kernarg_segment_size = static_cast<uint32_t>(end);
  kernel->explicit_args_size = kernel->kernarg_segment_size;
  if (max_align != 0) kernel->kernarg_segment_align = max_align;
  DEVBIN_ASSIGN_OR_RETURN(*token, lexer->next());
  return Status::Ok();
}

// The text without trailing NULs (a driver wants PTX NUL-terminated, so files
// often carry one); a NUL anywhere else is an error.
Result<std::string_view> ptx_text(std::span<const uint8_t> bytes) {
  size_t size = bytes.size();
  while (size > 0 && bytes[size - 1] == 0) --size;
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), size);
  if (const size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return data_loss("PTX text has a NUL byte at offset " + std::to_string(nul) + " before its end");
  }
  return text;
}

}  // namespace

bool looks_like_ptx(std::span<const uint8_t> bytes) {
  // Only the start decides; a NUL further on is inspect_ptx's error to report.
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  text = text.substr(0, text.find('\0'));
  Lexer lexer(text);
  Result<Token> first = lexer.next();
  return first.ok() && first->text == ".version";
}

Status inspect_ptx(std::span<const uint8_t> bytes, CodeObjectInfo* info) {
  info->format = CodeObjectFormat::kPtx;
  DEVBIN_ASSIGN_OR_RETURN(const std::string_view text, ptx_text(bytes));
  Lexer lexer(text);
  DEVBIN_ASSIGN_OR_RETURN(Token token, lexer.next());
  if (token.text != ".version") return unexpected(token, "'.version' first in PTX text");
  DEVBIN_ASSIGN_OR_RETURN(token, lexer.next());
  {
    const size_t dot = token.text.find('.');
    uint32_t major = 0;
    uint32_t minor = 0;
    if (dot == std::string_view::npos || !parse_small_number(token.text.substr(0, dot), &major) ||
        !parse_small_number(token.text.substr(dot + 1), &minor)) {
      return unexpected(token, "a PTX ISA version like 7.0 after .version");
    }
    info->ptx_version = std::string(token.text);
  }
  bool have_target = false;
  DEVBIN_ASSIGN_OR_RETURN(token, lexer.next());
  while (!token.text.empty()) {
    if (token.text == "{") {
      DEVBIN_RETURN_IF_ERROR(lexer.skip_block());
    } else if (token.text == "}") {
      return unexpected(token, "a '{' before this '}'");
    } else if (token.text == ".target") {
      if (have_target) return unexpected(token, "a single .target directive");
      DEVBIN_ASSIGN_OR_RETURN(token, lexer.next());
      Result<NvidiaTarget> target = parse_nvidia_target(token.text);
      if (!token.text.starts_with("sm_") || !target.ok()) {
        return unexpected(token, "an architecture like sm_90 after .target");
      }
      info->nvidia = *target;
      info->nvidia.kind = NvidiaCodeKind::kPtx;
      have_target = true;
    } else if (token.text == ".entry") {
      KernelInfo kernel;
      DEVBIN_RETURN_IF_ERROR(parse_entry(&lexer, &token, &kernel));
      info->kernels.push_back(std::move(kernel));
      continue;  // parse_entry left the token after the entry's parameter list
    }
    DEVBIN_ASSIGN_OR_RETURN(token, lexer.next());
  }
  if (!have_target) return data_loss("PTX text has no .target directive: expected one like '.target sm_75'");
  return Status::Ok();
}

}  // namespace devbin::code_object
