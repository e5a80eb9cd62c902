// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Every launch shape the kernels have a path for, on the emulated AMD GPU.
// The HSA backend launches 256-wide workgroups, enough of them for the work;
// the kernels also run (under other runtimes, indirect dispatch, or a future
// launch policy) with other shapes, and take other paths there: partial
// wavefronts take the misaligned copy's carry fallback instead of its lane
// shuffle, a grid smaller than the work takes the grid-stride loops, one wave
// per workgroup and 1024-wide workgroups change the chunking. The stand-in's
// test hook (devbin_emulator_set_launch_shape) gives the packet each shape;
// every result is compared whole with the host's.
#include "tests/hsa/emulated_fixture.h"

namespace devbin::hsa::emulated {
namespace {

struct Shape {
  uint32_t workgroup_size;  // 0: the wave size (one wave per workgroup)
  uint32_t workgroups;
  const char* why;
};

// One agent per code object (the full-sweep ones): a shape's paths are the
// code object's, whichever agent runs it.
class EmulatedShapes : public EmulatedGpu {};

constexpr Shape kShapes[] = {
    {64, 1, "64 wide, one workgroup: a grid far smaller than the work"},
    {128, 3, "128 wide"},
    {1024, 1, "1024 wide"},
    {0, 2, "one wave per workgroup"},
    {48, 2, "48 wide: partial wavefronts, the misaligned copy's carry fallback"},
    {96, 1, "96 wide: a partial last wavefront on wave64, whole on wave32"},
};

TEST_P(EmulatedShapes, EveryLaunchShapeComputesTheSameBytes) {
  const uint32_t wave = std::string(GetParam().isa).starts_with("gfx9") ? 64 : 32;
  for (const Shape& shape : kShapes) {
    const uint32_t size = shape.workgroup_size == 0 ? wave : shape.workgroup_size;
    SCOPED_TRACE(std::to_string(shape.workgroups) + " workgroups of " + std::to_string(size) + ": " + shape.why);
    set_launch_shape(size, shape.workgroups);
    for (uint32_t width : {1u, 4u, 16u}) {
      EXPECT_TRUE(check_fill(*device_, *queue_, width, 3 * width, uint64_t{4099} / width * width));
    }
    // Misaligned to each other (both shift kinds) and aligned; a length with
    // a head, a body and a tail.
    EXPECT_TRUE(check_copies(*device_, *queue_, {0, 5, 15}, {0, 11}, 3001));
    // A 2-D rect and a small inline update.
    const devbin_rect_extent_t extent{61, 9, 1};
    const devbin_rect_region_t target_layout{3, 67, 0};
    const devbin_rect_region_t source_layout{5, 63, 0};
    std::vector<uint8_t> source_bytes(source_layout.base + *rect_span(source_layout, extent));
    random_bytes(rng_, source_bytes);
    auto source = device_->allocate(source_bytes.size());
    ASSERT_TRUE(source.ok());
    ASSERT_TRUE(device_->copy_to_device(source->address(), source_bytes.data(), source_bytes.size()).ok());
    EXPECT_TRUE(run_and_compare(
        *device_, *queue_, kGuard + target_layout.base + *rect_span(target_layout, extent) + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          for (uint64_t r = 0; r < extent.height; ++r) {
            std::copy_n(source_bytes.begin() + static_cast<ptrdiff_t>(source_layout.base + r * source_layout.row_pitch),
                        extent.width,
                        want.begin() + static_cast<ptrdiff_t>(kGuard + target_layout.base + r * target_layout.row_pitch));
          }
          return want;
        },
        [&](DevicePtr base) {
          devbin_rect_region_t target = target_layout;
          devbin_rect_region_t from = source_layout;
          target.base = base + kGuard + target_layout.base;
          from.base = source->address() + source_layout.base;
          return device_->copy_rect(*queue_, target, from, extent);
        },
        "copy_rect 61 x 9"));
    std::vector<uint8_t> update(67);
    random_bytes(rng_, update);
    EXPECT_TRUE(run_and_compare(
        *device_, *queue_, kGuard + 1 + update.size() + kGuard,
        [&](const std::vector<uint8_t>& poison) {
          std::vector<uint8_t> want = poison;
          std::copy(update.begin(), update.end(), want.begin() + kGuard + 1);
          return want;
        },
        [&](DevicePtr base) { return device_->update(*queue_, base + kGuard + 1, update); }, "update of 67 bytes"));
  }
  set_launch_shape(0, 0);
}

INSTANTIATE_TEST_SUITE_P(Agents, EmulatedShapes, testing::ValuesIn(full_sweep_agents()), agent_test_name);

}  // namespace
}  // namespace devbin::hsa::emulated
