// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The CUDA backend's table of vendor paths (devbin/vendor_path.h): which
// small fills and updates take the driver's own call instead of the kernel.
// The sizes are the crossovers `devbin bench` measures ("vendor path
// crossovers"); bench/RESULTS.md has the runs behind them.
#include <cstdint>

#include "devbin/cuda.h"

namespace devbin::cuda {
namespace {

using enum VendorPathOperation;
using enum VendorOpKind;

// A memset's fixed cost is under a kernel launch's, and its stores are as
// fast as the kernel's up to the largest size measured against it; past
// that, the kernel (at 1 GiB it is 1.01x the memset).
constexpr uint64_t kMemsetMaxBytes = uint64_t{64} << 20;

constexpr VendorPathRule kRules[] = {
    {kFill, kMemset, 1, 1, 1, kMemsetMaxBytes, "cuMemsetD8Async: a 1-byte period"},
    {kFill, kMemset, 2, 2, 2, kMemsetMaxBytes, "cuMemsetD16Async: a 2-byte period"},
    {kFill, kMemset, 4, 4, 4, kMemsetMaxBytes, "cuMemsetD32Async: a 4-byte period"},
    {kUpdate, kWriteValue, 4, 4, 4, 4, "cuStreamWriteValue32: one aligned 4-byte word"},
    {kUpdate, kWriteValue, 8, 8, 8, 8, "cuStreamWriteValue64: one aligned 8-byte word"},
    {kUpdate, kStagedCopy, 0, 1, 1, DEVBIN_UPDATE_MAX_BYTES, "cuMemcpyHtoDAsync from devbin's staging memory"},
};

}  // namespace

std::span<const VendorPathRule> Device::vendor_paths() const { return kRules; }

}  // namespace devbin::cuda
