// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/target_map.h"

#include <array>
#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "devbin_internal/text.h"

namespace devbin {
namespace {

// The generated X-macros fill one table of rows; typed arrays are carved out
// of it at compile time, so the .inl is included exactly once.
enum class RowKind : uint8_t { kCodeObject, kProcessor, kUnsupported, kFamily, kNvidia };

struct Row {
  RowKind row_kind;
  std::string_view name;
  std::string_view text;  // processor: code object; unsupported: reason; family: processors
  uint32_t mach;
  uint32_t number;     // code object: generic version; processor: min generic version; NVIDIA: major
  uint32_t number2;    // code object: min LLVM major; NVIDIA: minor
  bool flag;           // xnack; NVIDIA: ptx
  bool flag2;          // sramecc
  AmdgpuGpuKind gpu_kind;
};

constexpr Row kRows[] = {
#define DEVBIN_AMDGPU_CODE_OBJECT(name, mach, generic_version, xnack, sramecc, min_llvm_major) \
  {RowKind::kCodeObject, name, {}, mach, generic_version, min_llvm_major, xnack != 0, sramecc != 0, AmdgpuGpuKind::kDgpu},
#define DEVBIN_AMDGPU_PROCESSOR(name, mach, code_object, min_generic_version, xnack, sramecc, kind) \
  {RowKind::kProcessor, name, code_object, mach, min_generic_version, 0, xnack != 0, sramecc != 0, AmdgpuGpuKind::kind},
#define DEVBIN_AMDGPU_UNSUPPORTED_PROCESSOR(name, mach, reason) \
  {RowKind::kUnsupported, name, reason, mach, 0, 0, false, false, AmdgpuGpuKind::kDgpu},
#define DEVBIN_AMDGPU_FAMILY(selector, processors) \
  {RowKind::kFamily, selector, processors, 0, 0, 0, false, false, AmdgpuGpuKind::kDgpu},
#define DEVBIN_NVIDIA_TARGET(name, ptx, major, minor) \
  {RowKind::kNvidia, name, {}, 0, major, minor, ptx != 0, false, AmdgpuGpuKind::kDgpu},
#include "device/binaries/target_map.inl"
};

constexpr size_t count_rows(RowKind kind) {
  size_t count = 0;
  for (const Row& row : kRows) count += row.row_kind == kind ? 1 : 0;
  return count;
}

template <RowKind kKind, typename T, typename Make>
constexpr auto select_rows(Make make) {
  std::array<T, count_rows(kKind)> out{};
  size_t i = 0;
  for (const Row& row : kRows) {
    if (row.row_kind == kKind) out[i++] = make(row);
  }
  return out;
}

constexpr auto kCodeObjects = select_rows<RowKind::kCodeObject, AmdgpuCodeObject>([](const Row& r) {
  return AmdgpuCodeObject{r.name, r.mach, r.number, r.flag, r.flag2, r.number2};
});
constexpr auto kProcessors = select_rows<RowKind::kProcessor, AmdgpuProcessor>([](const Row& r) {
  return AmdgpuProcessor{r.name, r.mach, r.text, r.number, r.flag, r.flag2, r.gpu_kind};
});
constexpr auto kUnsupported = select_rows<RowKind::kUnsupported, AmdgpuUnsupportedProcessor>(
    [](const Row& r) { return AmdgpuUnsupportedProcessor{r.name, r.mach, r.text}; });
constexpr auto kFamilies =
    select_rows<RowKind::kFamily, AmdgpuFamily>([](const Row& r) { return AmdgpuFamily{r.name, r.text}; });
constexpr auto kNvidiaTargets = select_rows<RowKind::kNvidia, NvidiaMapTarget>(
    [](const Row& r) { return NvidiaMapTarget{r.name, r.flag, r.number, r.number2}; });

template <typename Table>
constexpr auto find_in(const Table& table, std::string_view name) -> decltype(&table[0]) {
  for (const auto& entry : table) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

constexpr const AmdgpuFamily* find_family(std::string_view selector) {
  for (const AmdgpuFamily& family : kFamilies) {
    if (family.selector == selector) return &family;
  }
  return nullptr;
}

// The generator validates the map too; these keep a hand-edited .inl from
// compiling into a runtime that would select nonsense.
constexpr bool processors_name_known_code_objects() {
  for (const AmdgpuProcessor& p : kProcessors) {
    const AmdgpuCodeObject* code_object = find_in(kCodeObjects, p.code_object);
    if (code_object == nullptr) return false;
    if (code_object->generic_version == 0 && (p.code_object != p.name || p.min_generic_version != 0)) return false;
    if (code_object->generic_version != 0 &&
        (p.min_generic_version == 0 || p.min_generic_version > code_object->generic_version)) {
      return false;
    }
  }
  return true;
}
static_assert(processors_name_known_code_objects(),
              "target_map.inl: a processor names an unknown code object or an impossible generic version");
static_assert(!kCodeObjects.empty() && !kProcessors.empty() && !kNvidiaTargets.empty(),
              "target_map.inl is empty: run python3 build_tools/target_map.py");

using util::quote;

// The same text as build_tools/target_map.py's known_selectors_text().
std::string known_selectors_text() {
  std::string out = "family selectors:";
  for (const AmdgpuFamily& family : kFamilies) {
    // A processor's own family is listed once, as a processor.
    if (find_amdgpu_processor(family.selector) || find_amdgpu_unsupported_processor(family.selector)) continue;
    out += ' ';
    out += family.selector;
  }
  out += ". Code objects:";
  for (const AmdgpuCodeObject& code_object : kCodeObjects) {
    out += ' ';
    out += code_object.name;
  }
  out += ". Processors:";
  for (const AmdgpuProcessor& processor : kProcessors) {
    out += ' ';
    out += processor.name;
  }
  return out;
}

// Splits on any of `separators`, trimming spaces and tabs, dropping empty words.
std::vector<std::string_view> split_words(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> words;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of(separators, start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(start, end - start);
    while (!word.empty() && (word.front() == ' ' || word.front() == '\t')) word.remove_prefix(1);
    while (!word.empty() && (word.back() == ' ' || word.back() == '\t')) word.remove_suffix(1);
    if (!word.empty()) words.push_back(word);
    start = end + 1;
  }
  return words;
}

// The processors (supported or not) a word names, or an error for an unknown word.
Result<std::vector<std::string_view>> members_of(std::string_view word) {
  if (const AmdgpuFamily* family = find_family(word)) return split_words(family->processors, " ");
  if (find_amdgpu_code_object(word) != nullptr) {
    std::vector<std::string_view> members;
    for (const AmdgpuProcessor& p : kProcessors) {
      if (p.code_object == word) members.push_back(p.name);
    }
    return members;
  }
  if (const AmdgpuProcessor* p = find_amdgpu_processor(word)) return std::vector<std::string_view>{p->name};
  if (const AmdgpuUnsupportedProcessor* u = find_amdgpu_unsupported_processor(word)) {
    return std::vector<std::string_view>{u->name};
  }
  return invalid_argument("unknown AMDGPU target " + quote(word) + "; known " + known_selectors_text());
}

}  // namespace

std::string_view amdgpu_gpu_kind_name(AmdgpuGpuKind kind) {
  // Indexed by AmdgpuGpuKind, in its order.
  static constexpr std::string_view kNames[] = {"dgpu", "dcgpu", "igpu"};
  const auto index = static_cast<size_t>(kind);
  return index < std::size(kNames) ? kNames[index] : "unknown";
}

std::span<const AmdgpuCodeObject> amdgpu_code_objects() { return kCodeObjects; }
std::span<const AmdgpuProcessor> amdgpu_processors() { return kProcessors; }
std::span<const AmdgpuUnsupportedProcessor> amdgpu_unsupported_processors() { return kUnsupported; }
std::span<const AmdgpuFamily> amdgpu_families() { return kFamilies; }
std::span<const NvidiaMapTarget> nvidia_targets() { return kNvidiaTargets; }

const AmdgpuCodeObject* find_amdgpu_code_object(std::string_view name) { return find_in(kCodeObjects, name); }

const AmdgpuCodeObject* find_amdgpu_code_object_by_mach(uint32_t mach) {
  for (const AmdgpuCodeObject& code_object : kCodeObjects) {
    if (code_object.mach == mach) return &code_object;
  }
  return nullptr;
}

const AmdgpuProcessor* find_amdgpu_processor(std::string_view name) { return find_in(kProcessors, name); }

const AmdgpuUnsupportedProcessor* find_amdgpu_unsupported_processor(std::string_view name) {
  return find_in(kUnsupported, name);
}

std::string_view amdgpu_mach_name(uint32_t mach) {
  if (const AmdgpuCodeObject* code_object = find_amdgpu_code_object_by_mach(mach)) return code_object->name;
  for (const AmdgpuProcessor& p : kProcessors) {
    if (p.mach == mach) return p.name;
  }
  for (const AmdgpuUnsupportedProcessor& u : kUnsupported) {
    if (u.mach == mach) return u.name;
  }
  return {};
}

Result<std::vector<std::string_view>> expand_amdgpu_targets(std::string_view selectors) {
  std::array<bool, kProcessors.size()> wanted{};
  const std::vector<std::string_view> words = split_words(selectors, ";,");
  if (words.empty()) return invalid_argument("no AMDGPU target given; known " + known_selectors_text());
  for (std::string_view word : words) {
    DEVBIN_ASSIGN_OR_RETURN(std::vector<std::string_view> members, members_of(word));
    bool any_supported = false;
    std::string reasons;
    for (std::string_view member : members) {
      if (const AmdgpuProcessor* p = find_amdgpu_processor(member)) {
        wanted[static_cast<size_t>(p - kProcessors.data())] = true;
        any_supported = true;
      } else if (const AmdgpuUnsupportedProcessor* u = find_amdgpu_unsupported_processor(member)) {
        if (!reasons.empty()) reasons += "; ";
        reasons += std::string(u->name) + ": " + std::string(u->reason);
      }
    }
    if (!any_supported) {
      return invalid_argument("AMDGPU target " + quote(word) + " names no processor devbin supports (" + reasons +
                              ")");
    }
  }
  std::vector<std::string_view> processors;
  for (size_t i = 0; i < kProcessors.size(); ++i) {
    if (wanted[i]) processors.push_back(kProcessors[i].name);
  }
  return processors;
}

}  // namespace devbin
