// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The C API's embedded TOC, selection and code-object inspection.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "c_api/handles.h"
#include "devbin/code_object.h"
#include "devbin/select.h"
#include "devbin/toc.h"

struct devbin_code_object_s {
  devbin::CodeObjectInfo info;
  std::string target;
};

static_assert(static_cast<int>(devbin::SelectionKind::kExact) == DEVBIN_SELECTION_EXACT &&
                  static_cast<int>(devbin::SelectionKind::kGeneric) == DEVBIN_SELECTION_GENERIC &&
                  static_cast<int>(devbin::SelectionKind::kCompatibleSass) == DEVBIN_SELECTION_COMPATIBLE_SASS &&
                  static_cast<int>(devbin::SelectionKind::kPtxJit) == DEVBIN_SELECTION_PTX_JIT &&
                  static_cast<int>(devbin::SelectionKind::kOverride) == DEVBIN_SELECTION_OVERRIDE,
              "devbin_selection_kind_t follows devbin::SelectionKind");
static_assert(static_cast<int>(devbin::CodeObjectFormat::kAmdgpuHsaco) == DEVBIN_CODE_OBJECT_AMDGPU_HSACO &&
                  static_cast<int>(devbin::CodeObjectFormat::kCudaCubin) == DEVBIN_CODE_OBJECT_CUDA_CUBIN &&
                  static_cast<int>(devbin::CodeObjectFormat::kPtx) == DEVBIN_CODE_OBJECT_PTX,
              "devbin_code_object_format_t follows devbin::CodeObjectFormat");


namespace devbin::c_api {

size_t toc_index_of(const TocEntry* entry) {
  return static_cast<size_t>(entry - embedded_toc().entries.data());
}

namespace {

// The TOC as C structs, its strings NUL-terminated; built once, never freed.
struct CToc {
  std::vector<std::string> strings;  // name, triple, target, features, sha256 per entry
  std::vector<devbin_toc_entry_t> entries;
};

const CToc& c_toc() {
  static const CToc* toc = [] {
    auto* built = new CToc();
    const devbin::Toc& embedded = devbin::embedded_toc();
    built->strings.reserve(embedded.entries.size() * 5);
    for (const devbin::TocEntry& entry : embedded.entries) {
      for (std::string_view text : {entry.name, entry.triple, entry.target, entry.features, entry.sha256}) {
        built->strings.emplace_back(text);
      }
    }
    for (size_t i = 0; i < embedded.entries.size(); ++i) {
      const std::string* s = &built->strings[i * 5];
      built->entries.push_back({s[0].c_str(), s[1].c_str(), s[2].c_str(), s[3].c_str(), embedded.entries[i].data,
                                embedded.entries[i].size, s[4].c_str()});
    }
    return built;
  }();
  return *toc;
}

void copy_text(const std::string& text, char* out, size_t capacity) {
  if (out == nullptr || capacity == 0) return;
  const size_t n = std::min(text.size(), capacity - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}


}  // namespace
}  // namespace devbin::c_api

using devbin::StatusCode;
using namespace devbin::c_api;

extern "C" {

size_t devbin_toc_count(void) { return devbin::embedded_toc().entries.size(); }

devbin_status_t devbin_toc_entry(size_t index, devbin_toc_entry_t* out_entry) {
  return guarded("devbin_toc_entry", [&]() -> devbin_status_t {
    if (out_entry == nullptr) return null_argument("devbin_toc_entry", "out_entry");
    const CToc& toc = c_toc();
    if (index >= toc.entries.size()) {
      return fail(StatusCode::kNotFound, "devbin_toc_entry: index " + std::to_string(index) + "; the TOC holds " +
                                             std::to_string(toc.entries.size()) + " entries");
    }
    *out_entry = toc.entries[index];
    return nullptr;
  });
}

devbin_status_t devbin_select(const char* isa, devbin_selection_t* out_selection, char* reason,
                              size_t reason_capacity) {
  return guarded("devbin_select", [&]() -> devbin_status_t {
    if (isa == nullptr) return null_argument("devbin_select", "isa");
    if (out_selection == nullptr) return null_argument("devbin_select", "out_selection");
    devbin::SelectOptions options;
    options.vendor_overrides = devbin::target_override_from_env();
    auto selection = devbin::select(std::string_view(isa), devbin::embedded_toc(), options);
    if (!selection.ok()) return to_c(selection.status());
    out_selection->entry_index = toc_index_of(selection->entry);
    out_selection->kind = static_cast<devbin_selection_kind_t>(selection->kind);
    out_selection->jit = selection->jit ? 1 : 0;
    copy_text(selection->reason, reason, reason_capacity);
    return nullptr;
  });
}

devbin_status_t devbin_code_object_inspect(const void* bytes, size_t size, devbin_code_object_t** out_code_object) {
  return guarded("devbin_code_object_inspect", [&]() -> devbin_status_t {
    if (out_code_object == nullptr) return null_argument("devbin_code_object_inspect", "out_code_object");
    *out_code_object = nullptr;
    if (bytes == nullptr && size != 0) return null_argument("devbin_code_object_inspect", "bytes");
    auto info = devbin::inspect_code_object({static_cast<const uint8_t*>(bytes), size});
    if (!info.ok()) return to_c(info.status());
    auto object = std::make_unique<devbin_code_object_s>();
    object->info = std::move(info).value();
    object->target = object->info.target_name();
    *out_code_object = object.release();
    return nullptr;
  });
}

devbin_status_t devbin_code_object_validate(const devbin_code_object_t* code_object, size_t toc_index) {
  return guarded("devbin_code_object_validate", [&]() -> devbin_status_t {
    if (code_object == nullptr) return null_argument("devbin_code_object_validate", "code_object");
    const devbin::Toc& toc = devbin::embedded_toc();
    if (toc_index >= toc.entries.size()) {
      return fail(StatusCode::kNotFound, "devbin_code_object_validate: TOC index " + std::to_string(toc_index) +
                                             "; the TOC holds " + std::to_string(toc.entries.size()) + " entries");
    }
    return to_c(devbin::validate_code_object(toc.entries[toc_index], code_object->info));
  });
}

devbin_code_object_format_t devbin_code_object_format(const devbin_code_object_t* code_object) {
  if (code_object == nullptr) return DEVBIN_CODE_OBJECT_NONE;
  return static_cast<devbin_code_object_format_t>(code_object->info.format);
}

const char* devbin_code_object_target(const devbin_code_object_t* code_object) {
  return code_object == nullptr ? "" : code_object->target.c_str();
}

size_t devbin_code_object_kernel_count(const devbin_code_object_t* code_object) {
  return code_object == nullptr ? 0 : code_object->info.kernels.size();
}

devbin_status_t devbin_code_object_kernel(const devbin_code_object_t* code_object, size_t index,
                                          devbin_kernel_info_t* out_kernel) {
  return guarded("devbin_code_object_kernel", [&]() -> devbin_status_t {
    if (code_object == nullptr) return null_argument("devbin_code_object_kernel", "code_object");
    if (out_kernel == nullptr) return null_argument("devbin_code_object_kernel", "out_kernel");
    const auto& kernels = code_object->info.kernels;
    if (index >= kernels.size()) {
      return fail(StatusCode::kNotFound, "devbin_code_object_kernel: index " + std::to_string(index) +
                                             "; the code object has " + std::to_string(kernels.size()) + " kernels");
    }
    const devbin::KernelInfo& kernel = kernels[index];
    *out_kernel = {kernel.name.c_str(),           kernel.explicit_args_size,       kernel.kernarg_segment_size,
                   kernel.kernarg_segment_align,  kernel.group_segment_fixed_size, kernel.private_segment_fixed_size};
    return nullptr;
  });
}

void devbin_code_object_free(devbin_code_object_t* code_object) { delete code_object; }

}  // extern "C"
