// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "bench/cuda/report.h"

#include <utility>

#include "devbin_internal/text.h"

namespace devbin::bench {

constexpr char kInformation[] = "(information)";

BenchRow target_row(std::string operation, std::string ours, std::string vendor, double ratio, std::string target,
                    bool met) {
  return BenchRow{std::move(operation), std::move(ours), std::move(vendor), ratio, std::move(target), met, true};
}

BenchRow information_row(std::string operation, std::string ours, std::string vendor) {
  return BenchRow{std::move(operation), std::move(ours), std::move(vendor), 0, kInformation, true, false};
}

BenchRow ratio_row(std::string operation, std::string ours, std::string vendor, double ratio) {
  return BenchRow{std::move(operation), std::move(ours), std::move(vendor), ratio, kInformation, true, true};
}

std::string gbps(uint64_t bytes, double ms) {
  return util::format("%.0f GB/s", static_cast<double>(bytes) / (ms * 1e6));
}

void print_rows(std::ostream& out, const std::vector<BenchRow>& rows) {
  out << "\n| operation | devbin | vendor | ratio | target | |\n|---|---|---|---|---|---|\n";
  for (const BenchRow& row : rows) {
    out << "| " << row.operation << " | " << row.ours << " | " << row.vendor << " | "
        << (row.has_ratio ? util::format("%.3f", row.ratio) : std::string("-")) << " | " << row.target << " | "
        << (row.target == kInformation ? "-"
            : row.met                  ? "met"
                                       : "MISSED")
        << " |\n";
  }
}

}  // namespace devbin::bench
