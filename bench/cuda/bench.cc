// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "bench/cuda/bench.h"

#include <algorithm>
#include <cinttypes>
#include <utility>

#include "devbin_internal/random_bytes.h"
#include "devbin_internal/text.h"

namespace devbin::bench {

namespace {

constexpr uint64_t kRandomBlock = uint64_t{16} << 20;

Status fill_random(const cuda::Device& device, const cuda::Buffer& buffer, const std::vector<uint8_t>& block) {
  for (uint64_t at = 0; at < buffer.size(); at += block.size()) {
    DEVBIN_RETURN_IF_ERROR(device.copy_to_device(buffer.address() + at, block.data(),
                                                 std::min<uint64_t>(block.size(), buffer.size() - at)));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Bench>> Bench::make(cuda::Device& device, uint64_t size) {
  if (size < 4096 || size % 16 != 0) {
    return invalid_argument(util::format("bench size %" PRIu64 ": expected a multiple of 16, at least 4096", size));
  }
  DEVBIN_ASSIGN_OR_RETURN(DriverCalls driver, DriverCalls::open(device));
  DEVBIN_ASSIGN_OR_RETURN(std::unique_ptr<cuda::Stream> stream, device.create_stream());
  std::mt19937_64 rng = util::make_rng();
  std::vector<uint8_t> block(kRandomBlock);
  util::random_bytes(rng, block);
  DEVBIN_ASSIGN_OR_RETURN(cuda::Buffer source, device.allocate(size + kSlack));
  DEVBIN_ASSIGN_OR_RETURN(cuda::Buffer target, device.allocate(size + kSlack));
  DEVBIN_RETURN_IF_ERROR(fill_random(device, source, block));
  DEVBIN_RETURN_IF_ERROR(fill_random(device, target, block));
  return std::unique_ptr<Bench>(new Bench(device, std::move(stream), std::move(driver), std::move(source),
                                          std::move(target), size, std::move(block), rng));
}

Bench::Bench(cuda::Device& device, std::unique_ptr<cuda::Stream> stream, DriverCalls driver, cuda::Buffer source,
             cuda::Buffer target, uint64_t size, std::vector<uint8_t> block, std::mt19937_64 rng)
    : device(device),
      stream(*stream),
      driver(std::move(driver)),
      source(std::move(source)),
      target(std::move(target)),
      size(size),
      block(std::move(block)),
      rng(rng),
      own_stream_(std::move(stream)) {}

Status Bench::poison_target() const { return device.memset_d8(target.address(), 0xa5, size + kSlack); }

Status Bench::check_windows(DevicePtr at, uint64_t length, const std::function<uint8_t(uint64_t)>& expected,
                            const char* what) const {
  const uint64_t window = std::min<uint64_t>(length, uint64_t{1} << 20);
  for (uint64_t start : {uint64_t{0}, (length - window) / 2, length - window}) {
    std::vector<uint8_t> got(window);
    DEVBIN_RETURN_IF_ERROR(device.copy_to_host(got.data(), at + start, window));
    for (uint64_t i = 0; i < window; ++i) {
      if (got[i] != expected(start + i)) {
        return data_loss(util::format("%s: byte %" PRIu64 " is 0x%02x, expected 0x%02x", what, start + i, got[i],
                                      expected(start + i)));
      }
    }
  }
  return Status::Ok();
}

Status Bench::check_rect_rows(DevicePtr base, uint64_t pitch, uint64_t height,
                              const std::function<uint8_t(uint64_t, uint64_t)>& expected, const char* what) const {
  for (uint64_t row : {uint64_t{0}, height / 2, height - 1}) {
    DEVBIN_RETURN_IF_ERROR(
        check_windows(base + row * pitch, pitch, [&](uint64_t i) { return expected(row, i); }, what));
  }
  return Status::Ok();
}

}  // namespace devbin::bench
