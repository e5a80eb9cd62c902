// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Uses the installed devbin: the embedded TOC, selection, and the device ABI.
#include <cstdio>

#include "device/abi.h"
#include "devbin/select.h"
#include "devbin/toc.h"

int main() {
  const devbin::Toc& toc = devbin::embedded_toc();
  std::printf("installed devbin embeds %zu code objects; devbin_fill_args_t is %zu bytes\n", toc.entries.size(),
              sizeof(devbin_fill_args_t));
  if (toc.empty()) return 0;
  devbin::Result<devbin::Selection> selection = devbin::select("amdgcn-amd-amdhsa--gfx1100", toc);
  if (!selection.ok()) {
    std::printf("%s\n", selection.status().to_string().c_str());
    return 1;
  }
  std::printf("gfx1100 -> %s (%s)\n", std::string(selection->entry->name).c_str(), selection->reason.c_str());
  return 0;
}
