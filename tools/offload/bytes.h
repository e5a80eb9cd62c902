// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// What every reader of tools/offload reads untrusted bytes with: the ELF
// reader's bounds-checked little-endian loads and range check (the caller
// checks a range with range_fits before it loads from it), and decimal
// numbers for messages.
#ifndef DEVBIN_TOOLS_OFFLOAD_BYTES_H_
#define DEVBIN_TOOLS_OFFLOAD_BYTES_H_

#include <cstdint>
#include <string>

#include "devbin_internal/elf.h"

namespace devbin::offload {

using elf::load_u16;
using elf::load_u32;
using elf::load_u64;
using elf::range_fits;

inline std::string number(uint64_t value) { return std::to_string(value); }

}  // namespace devbin::offload

#endif  // DEVBIN_TOOLS_OFFLOAD_BYTES_H_
