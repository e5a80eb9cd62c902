// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The bench's table: one row per figure, devbin's and the vendor's side by
// side, the ratio and the target it is held to.
#ifndef DEVBIN_BENCH_CUDA_REPORT_H_
#define DEVBIN_BENCH_CUDA_REPORT_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace devbin::bench {

struct BenchRow {
  std::string operation;
  std::string ours;
  std::string vendor;
  double ratio = 0;    // as the target states it
  std::string target;  // ">= 0.98", "<= 1.1x", or "(information)"
  bool met = false;
  bool has_ratio = true;
};

// A row held to `target`: met when `met`.
BenchRow target_row(std::string operation, std::string ours, std::string vendor, double ratio, std::string target,
                    bool met);
// A row that reports a figure, or why there is none, with no target.
BenchRow information_row(std::string operation, std::string ours, std::string vendor);
// A figure with a ratio but no target.
BenchRow ratio_row(std::string operation, std::string ours, std::string vendor, double ratio);

// "812 GB/s": `bytes` moved in `ms`.
std::string gbps(uint64_t bytes, double ms);

// The rows as a Markdown table: | operation | devbin | vendor | ratio | target | met/MISSED/- |.
void print_rows(std::ostream& out, const std::vector<BenchRow>& rows);

}  // namespace devbin::bench

#endif  // DEVBIN_BENCH_CUDA_REPORT_H_
