// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The operation path (issue 26): random argument structs and batch tables
// through the C API on the HSA runtime stand-in with its host executor (the
// host build of device/*.c runs the kernels). Every address is in one 16 KiB
// buffer, null or wrapping, so nothing may fault. Property: each call is a
// clean error that leaves the buffer as it was, or synchronize succeeds and
// the buffer holds the host reference's bytes (for a batch whose numbering
// is broken, or whose operations overlap, only the bytes no operation
// covers are fixed).
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "devbin/devbin.h"
#include "devbin/kernel_args.h"
#include "fuzz/fuzz_check.h"

namespace {

constexpr uint64_t kBytes = 16384;
constexpr uint32_t kTableOps = 64;

// The harness's byte loops (the buffer's contents, the references' bytes,
// the comparison) are bookkeeping, not code under test: no coverage
// instrumentation, whose compare tracing on every iteration otherwise costs
// more than the operation. The branches that decide what is expected stay
// instrumented.
#define DEVBIN_FUZZ_BYTE_LOOP __attribute__((no_sanitize("coverage"), noinline))

struct Reader {
  const uint8_t* data;
  size_t size;
  uint64_t take(size_t bytes) {
    uint64_t value = 0;
    for (size_t i = 0; i < bytes && size > 0; ++i, ++data, --size) value |= uint64_t{*data} << (8 * i);
    return value;
  }
  uint8_t u8() { return static_cast<uint8_t>(take(1)); }
  uint16_t u16() { return static_cast<uint16_t>(take(2)); }
  uint32_t u32() { return static_cast<uint32_t>(take(4)); }
  uint64_t u64() { return take(8); }
};

// What must hold after an operation: `want` where `fixed` is 1, the rest free.
struct Expectation {
  std::vector<uint8_t> want = std::vector<uint8_t>(kBytes);
  std::vector<uint8_t> fixed = std::vector<uint8_t>(kBytes);
};

// The device objects and the harness's buffers, made once: buffers made per
// input would be fresh pages each time (AddressSanitizer's quarantine holds
// the freed ones back), and zeroing them would cost more than the operation.
struct Session {
  devbin_device_t* device = nullptr;
  devbin_queue_t* queue = nullptr;
  devbin_buffer_t* work = nullptr;
  devbin_buffer_t* table = nullptr;
  uint64_t base = 0;
  uint64_t table_base = 0;
  std::vector<uint8_t> table_bytes = std::vector<uint8_t>(kTableOps * sizeof(devbin_batch_op_t), 0);
  std::vector<uint8_t> before = std::vector<uint8_t>(kBytes);  // the buffer's contents before the operation
  std::vector<uint8_t> got = std::vector<uint8_t>(kBytes);     // and after it
  Expectation expected;
};

void expect_ok(devbin_status_t status, const char* what) {
  if (status == nullptr) return;
  std::fprintf(stderr, "%s: %s\n", what, devbin_status_message(status));
  std::abort();
}

Session& session() {
  static Session* s = [] {
    setenv("DEVBIN_HSA_RUNTIME_PATH", DEVBIN_FUZZ_HSA_STAND_IN_RUNTIME, 1);
    setenv("DEVBIN_STAND_IN_HSA_AGENTS", "gfx1100", 1);
    auto* made = new Session();
    expect_ok(devbin_device_open(DEVBIN_BACKEND_HSA, 0, &made->device), "devbin_device_open");
    expect_ok(devbin_queue_create(made->device, &made->queue), "devbin_queue_create");
    expect_ok(devbin_buffer_allocate(made->device, kBytes, &made->work), "devbin_buffer_allocate");
    expect_ok(devbin_buffer_allocate(made->device, made->table_bytes.size(), &made->table), "devbin_buffer_allocate");
    made->base = devbin_buffer_address(made->work);
    made->table_base = devbin_buffer_address(made->table);
    expect_ok(devbin_copy_to_device(made->device, made->table_base, made->table_bytes.data(), made->table_bytes.size()),
              "devbin_copy_to_device");
    return made;
  }();
  return *s;
}

// Where an operand lies: null, at an address from which `length` bytes wrap
// the address space, or in the buffer (the length cut to fit).
struct Place {
  uint8_t kind;  // 0 null, 1 wrapping, 2 in the buffer
  uint64_t offset;
};
Place place(Reader& in, uint64_t& length) {
  const uint8_t choice = in.u8();
  const uint64_t offset = in.u16();
  if (choice % 8 == 0) return {0, 0};
  if (choice % 8 == 1) return {1, offset};
  const uint64_t at = offset % kBytes;
  length = std::min<uint64_t>(length, kBytes - at);
  return {2, at};
}
// The address of a place for the final length: a wrapping one really wraps
// (or the length is 0: nothing to touch).
uint64_t address(const Place& p, const Session& s, uint64_t length) {
  if (p.kind == 0) return 0;
  if (p.kind == 1) return length == 0 ? 0 : UINT64_MAX - p.offset % length;
  return s.base + p.offset;
}

bool overlaps(uint64_t a, uint64_t a_length, uint64_t b, uint64_t b_length) {
  return a_length != 0 && b_length != 0 && a < b + b_length && b < a + a_length;
}

// The first byte where `got` breaks `expected`, or kBytes.
DEVBIN_FUZZ_BYTE_LOOP uint64_t first_wrong_byte(const std::vector<uint8_t>& got, const Expectation& expected) {
  if (std::memcmp(got.data(), expected.want.data(), kBytes) == 0) return kBytes;
  for (uint64_t i = 0; i < kBytes; ++i) {
    if (expected.fixed[i] != 0 && got[i] != expected.want[i]) return i;
  }
  return kBytes;
}

void check_buffer(Session& s, const char* what) {
  expect_ok(devbin_copy_to_host(s.device, s.got.data(), s.base, kBytes), "devbin_copy_to_host");
  const uint64_t i = first_wrong_byte(s.got, s.expected);
  if (i != kBytes) {
    std::fprintf(stderr, "%s: byte %llu is 0x%02x, the host reference says 0x%02x\n", what,
                 static_cast<unsigned long long>(i), s.got[i], s.expected.want[i]);
    std::abort();
  }
}

// Every byte as it was before the operation.
void expect_unchanged(Session& s) {
  s.expected.want = s.before;
  std::fill(s.expected.fixed.begin(), s.expected.fixed.end(), uint8_t{1});
}

// The call's status against s.expected (which an error replaces with "as before").
void check_call(devbin_status_t status, Session& s, const char* what) {
  if (status != nullptr) {
    const devbin_status_code_t code = devbin_status_code(status);
    DEVBIN_FUZZ_CHECK(code != DEVBIN_STATUS_OK && code != DEVBIN_STATUS_INTERNAL, devbin_status_message(status));
    DEVBIN_FUZZ_CHECK(std::strlen(devbin_status_message(status)) > 0 && std::strlen(devbin_status_message(status)) < 4096,
                      "an error message that is empty or unbounded");
    devbin_status_free(status);
    expect_unchanged(s);
  } else {
    devbin_status_t synced = devbin_queue_synchronize(s.queue);
    DEVBIN_FUZZ_CHECK(synced == nullptr, std::string(what) + ": synchronize: " + devbin_status_message(synced));
  }
  check_buffer(s, what);
}

uint64_t chunks_of(uint64_t length, uint32_t chunk_bytes) {
  return length / chunk_bytes + (length % chunk_bytes != 0);
}

// One operation of a batch that runs, on the contents `before` (the batch's
// operations all read the contents from before the batch); `whole`: its
// bytes are fixed.
DEVBIN_FUZZ_BYTE_LOOP void apply_batch_op(const devbin_batch_op_t& op, uint64_t base, const std::vector<uint8_t>& before,
                                          bool whole, Expectation& expected) {
  const uint64_t at = op.target - base;
  for (uint64_t k = 0; k < op.length; ++k) {
    expected.want[at + k] = op.kind == DEVBIN_BATCH_FILL ? reinterpret_cast<const uint8_t*>(op.pattern)[k % 16]
                                                         : before[op.source - base + k];
    if (!whole) expected.fixed[at + k] = 0;
  }
}

// The kernel's rules (device/abi.h) on the host: which operations of a
// batch run. False when the table's numbering is broken (then which run is
// unspecified).
bool batch_reference(const devbin_batch_args_t& args, const std::vector<devbin_batch_op_t>& ops, uint64_t base,
                     const std::vector<uint8_t>& before, Expectation& expected) {
  const uint32_t count = args.op_count;
  if (count == 0) return true;
  const uint32_t cb = args.chunk_bytes;
  auto numbered = [&](uint32_t i) {
    const uint64_t end = i + 1 < count ? ops[i + 1].first_chunk : args.chunk_count;
    if (end < ops[i].first_chunk) return false;
    const uint64_t claimed = end - ops[i].first_chunk;
    return claimed < DEVBIN_BATCH_MAX_CHUNK_INDEX && claimed == chunks_of(ops[i].length, cb);
  };
  if (!numbered(count - 1)) return true;  // CHUNK_COUNT: nothing stored
  bool whole = ops[0].first_chunk == 0;
  for (uint32_t i = 0; i < count; ++i) whole = whole && numbered(i);
  std::vector<uint32_t> run;
  for (uint32_t i = 0; i < count; ++i) {
    const devbin_batch_op_t& op = ops[i];
    if (op.length == 0 || op.chunk_bytes != cb || op.target == 0 || op.target + op.length < op.target) continue;
    if (op.kind == DEVBIN_BATCH_FILL) {
      const uint32_t w = op.pattern_width;
      if ((w != 1 && w != 2 && w != 4 && w != 8 && w != 16) || ((op.target | op.length) & (w - 1)) != 0) continue;
    } else if (op.kind == DEVBIN_BATCH_COPY) {
      if (op.source == 0 || op.source + op.length < op.source) continue;
      if (overlaps(op.target, op.length, op.source, op.length)) continue;
    } else {
      continue;
    }
    run.push_back(i);
  }
  for (uint32_t i : run) {
    for (uint32_t j : run) {
      if (i != j && (overlaps(ops[i].target, ops[i].length, ops[j].target, ops[j].length) ||
                     (ops[j].kind == DEVBIN_BATCH_COPY &&
                      overlaps(ops[i].target, ops[i].length, ops[j].source, ops[j].length)))) {
        whole = false;  // unordered writes: their bytes are free
      }
    }
  }
  for (uint32_t i : run) apply_batch_op(ops[i], base, before, whole, expected);
  return whole;
}

void fuzz_batch(Reader& in, Session& s) {
  const uint32_t cb_choices[] = {16, 48, 64, 256, DEVBIN_BATCH_CHUNK_BYTES, 24, 0};
  const uint32_t cb = cb_choices[in.u8() % 7];
  const uint32_t n = in.u8() % 9;
  std::vector<devbin_batch_op_t> ops(n);
  uint64_t chunks = 0;
  for (devbin_batch_op_t& op : ops) {
    op = devbin_batch_op_t{};
    const uint8_t kind = in.u8();
    op.kind = kind % 8 < 4 ? DEVBIN_BATCH_FILL : kind % 8 < 7 ? DEVBIN_BATCH_COPY : kind;
    uint64_t length = in.u16() % 2048;
    const Place target = place(in, length);
    const Place source = place(in, length);
    op.target = address(target, s, length);
    op.source = address(source, s, length);
    op.length = length;
    const uint32_t widths[] = {1, 2, 4, 8, 16, 3, 32};
    op.pattern_width = widths[in.u8() % 7];
    uint8_t pattern[16];
    for (uint32_t k = 0; k < 16; ++k) pattern[k] = static_cast<uint8_t>(in.u8() | 1);
    for (uint32_t k = 0; k < 16; ++k) pattern[k] = pattern[k % std::max<uint32_t>(1, std::min(op.pattern_width, 16u))];
    std::memcpy(op.pattern, pattern, 16);
    if (cb != 0) {
      op.first_chunk = chunks;
      op.chunk_bytes = cb;
      chunks += chunks_of(op.length, cb);
    }
  }
  devbin_batch_args_t args{s.table_base, chunks, n, cb, 0};
  // Mutations the host cannot see (the table is device memory) or can.
  const uint8_t mutations = in.u8() % 4;
  for (uint8_t m = 0; m < mutations; ++m) {
    const uint8_t what = in.u8();
    const uint32_t i = n == 0 ? 0 : in.u8() % n;
    switch (what % 6) {
      case 0: if (n) ops[i].first_chunk += static_cast<int8_t>(in.u8()); break;
      case 1: if (n) ops[i].chunk_bytes = cb_choices[in.u8() % 7]; break;
      case 2: args.chunk_count += static_cast<int8_t>(in.u8()); break;
      case 3: args.chunk_count = in.u64(); break;
      case 4: args.op_count = std::min<uint32_t>(kTableOps, n + in.u8() % 4); break;
      case 5: args.chunk_bytes = cb_choices[in.u8() % 7]; break;
    }
  }
  // Entries past the written ones are zeros: op_count past the table reads them.
  std::fill(s.table_bytes.begin(), s.table_bytes.end(), uint8_t{0});
  if (!ops.empty()) std::memcpy(s.table_bytes.data(), ops.data(), ops.size() * sizeof(devbin_batch_op_t));
  expect_ok(devbin_copy_to_device(s.device, s.table_base, s.table_bytes.data(), s.table_bytes.size()),
            "devbin_copy_to_device(table)");
  std::vector<devbin_batch_op_t> table(kTableOps);
  std::memcpy(table.data(), s.table_bytes.data(), s.table_bytes.size());
  expect_unchanged(s);
  // devbin_queue_batch's args take chunk_bytes 0 as DEVBIN_BATCH_CHUNK_BYTES
  // (devbin.h); the table's entries do not.
  devbin_batch_args_t launched = args;
  if (launched.chunk_bytes == 0) launched.chunk_bytes = DEVBIN_BATCH_CHUNK_BYTES;
  const bool accepted = devbin::make_batch_args(launched).ok();
  if (accepted) {
    batch_reference(launched, table, s.base, s.before, s.expected);
  }
  check_call(devbin_queue_batch(s.device, s.queue, &args), s, "batch");
}

// copy_rect (or fill_rect, `copy` false) on the host, from `before`: rows in
// order, the rows of a copy all read from `before`.
DEVBIN_FUZZ_BYTE_LOOP void rect_reference(const Session& s, const devbin_rect_region_t& target,
                                          const devbin_rect_region_t& source, const devbin_rect_extent_t& extent,
                                          bool copy, const std::vector<uint8_t>& before, const uint8_t* pattern,
                                          uint32_t width, Expectation& expected) {
  for (uint64_t z = 0; z < extent.depth; ++z) {
    for (uint64_t y = 0; y < extent.height; ++y) {
      const uint64_t to = target.base - s.base + z * target.slice_pitch + y * target.row_pitch;
      const uint64_t from = copy ? source.base - s.base + z * source.slice_pitch + y * source.row_pitch : 0;
      for (uint64_t x = 0; x < extent.width; ++x) expected.want[to + x] = copy ? before[from + x] : pattern[x % width];
    }
  }
}

// A region in the buffer (or null / wrapping) and an extent small enough.
void fuzz_rect(Reader& in, Session& s, bool copy) {
  devbin_rect_extent_t extent{in.u16() % 300u, in.u8() % 9u, in.u8() % 4u};
  auto region = [&](devbin_rect_region_t& r, bool& inside) {
    uint64_t length = kBytes;
    const Place p = place(in, length);
    inside = p.kind == 2;
    r.row_pitch = in.u16() % 1200;
    r.slice_pitch = in.u16() % 5000;
    // A wrapping base wraps with the region's span.
    const uint64_t span = devbin::rect_span(r, extent).value_or(1);
    r.base = p.kind == 2 ? s.base + p.offset : p.kind == 1 ? UINT64_MAX - p.offset % std::max<uint64_t>(span, 1) : 0;
  };
  devbin_rect_region_t target{};
  devbin_rect_region_t source{};
  bool target_in = false;
  bool source_in = false;
  region(target, target_in);
  region(source, source_in);
  // Spans that leave the buffer would fault: not this fuzzer's question.
  for (auto [r, inside] : {std::pair{&target, target_in}, std::pair{&source, source_in}}) {
    if (!inside || (!copy && r == &source)) continue;
    const std::optional<uint64_t> span = devbin::rect_span(*r, extent);
    if (!span.has_value() || r->base - s.base + *span > kBytes) return;
  }
  const uint32_t widths[] = {1, 2, 4, 8, 16, 3};
  const uint32_t width = widths[in.u8() % 6];
  uint8_t pattern[16];
  for (uint8_t& b : pattern) b = static_cast<uint8_t>(in.u8() | 1);
  expect_unchanged(s);
  const bool accepted = copy ? devbin::make_copy_rect_args(target, source, extent).ok()
                             : devbin::make_fill_rect_args(target, extent, {pattern, width}).ok();
  if (accepted && extent.width != 0 && extent.height != 0 && extent.depth != 0) {
    DEVBIN_FUZZ_CHECK(target_in && (!copy || source_in), "the host accepted a null or wrapping region");
    rect_reference(s, target, source, extent, copy, s.before, pattern, width, s.expected);
  }
  devbin_status_t status = copy ? devbin_queue_copy_rect(s.device, s.queue, &target, &source, &extent)
                                : devbin_queue_fill_rect(s.device, s.queue, &target, &extent, pattern, width);
  check_call(status, s, copy ? "copy_rect" : "fill_rect");
}

// The buffer's contents before an operation, from a seed.
DEVBIN_FUZZ_BYTE_LOOP void fill_contents(uint64_t seed, std::vector<uint8_t>& bytes) {
  for (uint64_t i = 0; i < kBytes; ++i) bytes[i] = static_cast<uint8_t>((seed + i * 0x9e3779b97f4a7c15ull) >> 56);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Session& s = session();
  Reader in{data, size};
  // Fresh contents each run, from the input, so stale bytes never decide.
  fill_contents(in.u64(), s.before);
  expect_ok(devbin_copy_to_device(s.device, s.base, s.before.data(), kBytes), "devbin_copy_to_device");
  switch (in.u8() % 3) {
    case 0: fuzz_batch(in, s); break;
    case 1: fuzz_rect(in, s, true); break;
    case 2: fuzz_rect(in, s, false); break;
  }
  return 0;
}
