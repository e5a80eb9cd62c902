// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// How `devbin inspect` shows a decoded code object: human text or JSON.
#ifndef DEVBIN_TOOLS_DEVBIN_INSPECT_FORMAT_H_
#define DEVBIN_TOOLS_DEVBIN_INSPECT_FORMAT_H_

#include <string>
#include <string_view>

#include "devbin/code_object.h"

namespace devbin::cli {

// Several lines, the first naming `file_name`, the format and the target; then
// the header fields of the format and one block per kernel. Ends in '\n'.
std::string format_code_object(const CodeObjectInfo& info, std::string_view file_name);

// One JSON object on one line (no trailing newline). Field names are those of
// CodeObjectInfo / KernelInfo; fields a format does not have are left out.
std::string code_object_json(const CodeObjectInfo& info);

}  // namespace devbin::cli

#endif  // DEVBIN_TOOLS_DEVBIN_INSPECT_FORMAT_H_
