// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
/* Every function of the C API (devbin/devbin.h), from a program compiled as
 * C11. With an HSA runtime stand-in's path as argument (the in-tree test:
 * tests/hsa's libdevbin_hsa_stand_in_runtime.so, which runs the host build of
 * the kernels), the device functions run and their results are checked;
 * without one (the install-tree consumers) they must fail cleanly, naming why.
 * Prints one line per failed check and "N passed, N failed". */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devbin/devbin.h"

static int passed;
static int failed;

#define CHECK(condition)                                                    \
  do {                                                                      \
    if (condition) {                                                        \
      ++passed;                                                             \
    } else {                                                                \
      ++failed;                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
    }                                                                       \
  } while (0)

/* A call that must succeed; its error is printed and freed otherwise. */
static int ok(devbin_status_t status, const char* what) {
  if (status == NULL) {
    ++passed;
    return 1;
  }
  ++failed;
  fprintf(stderr, "%s failed: %s\n", what, devbin_status_message(status));
  devbin_status_free(status);
  return 0;
}

/* A call that must fail with `code` and a message containing `needle`. */
static void fails(devbin_status_t status, devbin_status_code_t code, const char* needle, const char* what) {
  if (status == NULL) {
    ++failed;
    fprintf(stderr, "%s succeeded; expected code %d and \"%s\"\n", what, (int)code, needle);
    return;
  }
  if (devbin_status_code(status) != code || strstr(devbin_status_message(status), needle) == NULL) {
    ++failed;
    fprintf(stderr, "%s: code %d \"%s\"; expected code %d and \"%s\"\n", what, (int)devbin_status_code(status),
            devbin_status_message(status), (int)code, needle);
  } else {
    ++passed;
  }
  devbin_status_free(status);
}

static void toc_selection_and_validation(void) {
  CHECK(devbin_status_code(NULL) == DEVBIN_STATUS_OK);
  CHECK(strcmp(devbin_status_message(NULL), "") == 0);
  devbin_status_free(NULL);

  const size_t count = devbin_toc_count();
  CHECK(count == 18);
  devbin_toc_entry_t entry;
  for (size_t i = 0; i < count; ++i) {
    if (!ok(devbin_toc_entry(i, &entry), "devbin_toc_entry")) continue;
    CHECK(strstr(entry.name, entry.target) != NULL);
    CHECK(entry.size > 0 && entry.data != NULL && ((uintptr_t)entry.data % 64) == 0);
    CHECK(strlen(entry.sha256) == 64);
  }
  fails(devbin_toc_entry(count, &entry), DEVBIN_STATUS_NOT_FOUND, "the TOC holds 18 entries", "devbin_toc_entry");
  fails(devbin_toc_entry(0, NULL), DEVBIN_STATUS_INVALID_ARGUMENT, "out_entry is null", "devbin_toc_entry");

  devbin_selection_t selection;
  char reason[256];
  if (ok(devbin_select("amdgcn-amd-amdhsa--gfx1151", &selection, reason, sizeof(reason)), "devbin_select")) {
    ok(devbin_toc_entry(selection.entry_index, &entry), "devbin_toc_entry");
    CHECK(strcmp(entry.name, "amdgcn-amd-amdhsa--gfx11-generic.so") == 0);
    CHECK(selection.kind == DEVBIN_SELECTION_GENERIC);
    CHECK(selection.jit == 0);
    CHECK(strstr(reason, "gfx1151") != NULL);
  }
  char tiny[8];
  if (ok(devbin_select("sm_90", &selection, tiny, sizeof(tiny)), "devbin_select")) {
    CHECK(selection.kind == DEVBIN_SELECTION_EXACT);
    CHECK(strlen(tiny) == 7); /* cut, terminated */
  }
  fails(devbin_select("gfx1100:xnack", &selection, NULL, 0), DEVBIN_STATUS_INVALID_ARGUMENT, "gfx1100:xnack",
        "devbin_select(malformed)");
  fails(devbin_select(NULL, &selection, NULL, 0), DEVBIN_STATUS_INVALID_ARGUMENT, "isa is null", "devbin_select");

  /* Validation: the gfx90a entry against itself, and against another entry. */
  size_t gfx90a = count;
  for (size_t i = 0; i < count; ++i) {
    devbin_toc_entry(i, &entry);
    if (strcmp(entry.target, "gfx90a") == 0) gfx90a = i;
  }
  CHECK(gfx90a < count);
  devbin_toc_entry(gfx90a, &entry);
  devbin_code_object_t* object = NULL;
  if (ok(devbin_code_object_inspect(entry.data, entry.size, &object), "devbin_code_object_inspect")) {
    CHECK(devbin_code_object_format(object) == DEVBIN_CODE_OBJECT_AMDGPU_HSACO);
    CHECK(strcmp(devbin_code_object_target(object), "amdgcn-amd-amdhsa--gfx90a") == 0);
    CHECK(devbin_code_object_kernel_count(object) == 8);
    devbin_kernel_info_t kernel;
    int found_fill = 0;
    for (size_t k = 0; k < devbin_code_object_kernel_count(object); ++k) {
      if (!ok(devbin_code_object_kernel(object, k, &kernel), "devbin_code_object_kernel")) continue;
      if (strcmp(kernel.name, "devbin_fill") == 0) {
        found_fill = 1;
        CHECK(kernel.explicit_args_size == sizeof(devbin_fill_args_t));
      }
    }
    CHECK(found_fill);
    fails(devbin_code_object_kernel(object, 8, &kernel), DEVBIN_STATUS_NOT_FOUND, "has 8 kernels",
          "devbin_code_object_kernel");
    ok(devbin_code_object_validate(object, gfx90a), "devbin_code_object_validate");
    fails(devbin_code_object_validate(object, (gfx90a + 1) % count), DEVBIN_STATUS_FAILED_PRECONDITION, "",
          "devbin_code_object_validate(another entry)");
    fails(devbin_code_object_validate(object, count), DEVBIN_STATUS_NOT_FOUND, "TOC index",
          "devbin_code_object_validate");
    devbin_code_object_free(object);
  }
  static const unsigned char zip[] = "PK\x03\x04 not a code object";
  object = (devbin_code_object_t*)1;
  fails(devbin_code_object_inspect(zip, sizeof(zip), &object), DEVBIN_STATUS_INVALID_ARGUMENT, "expected",
        "devbin_code_object_inspect(zip)");
  CHECK(object == NULL);
  /* Every accessor takes a null object, as devbin_code_object_free does. */
  CHECK(devbin_code_object_format(NULL) == DEVBIN_CODE_OBJECT_NONE);
  CHECK(strcmp(devbin_code_object_target(NULL), "") == 0);
  CHECK(devbin_code_object_kernel_count(NULL) == 0);
  devbin_code_object_free(NULL);
}

static void devices_without_a_gpu(void) {
  int count = -1;
  devbin_status_t status = devbin_device_count(DEVBIN_BACKEND_HSA, &count);
  CHECK(status != NULL && devbin_status_code(status) == DEVBIN_STATUS_UNAVAILABLE);
  CHECK(count == 0);
  devbin_status_free(status);
  devbin_device_t* device = (devbin_device_t*)1;
  status = devbin_device_open(DEVBIN_BACKEND_HSA, 0, &device);
  CHECK(status != NULL && device == NULL);
  devbin_status_free(status);
  fails(devbin_device_open((devbin_backend_t)7, 0, &device), DEVBIN_STATUS_INVALID_ARGUMENT, "expected DEVBIN_BACKEND",
        "devbin_device_open(backend 7)");
}

static void devices_on_the_stand_in(void) {
  int count = 0;
  if (!ok(devbin_device_count(DEVBIN_BACKEND_HSA, &count), "devbin_device_count")) return;
  CHECK(count == 1);
  devbin_device_t* device = NULL;
  if (!ok(devbin_device_open(DEVBIN_BACKEND_HSA, 0, &device), "devbin_device_open")) return;
  CHECK(strcmp(devbin_device_target(device), "gfx1100") == 0);
  devbin_toc_entry_t entry;
  devbin_toc_entry(devbin_device_entry_index(device), &entry);
  CHECK(strcmp(entry.name, "amdgcn-amd-amdhsa--gfx11-generic.so") == 0);

  devbin_queue_t* queue = NULL;
  devbin_buffer_t* buffer = NULL;
  if (ok(devbin_queue_create(device, &queue), "devbin_queue_create") &&
      ok(devbin_buffer_allocate(device, 8192, &buffer), "devbin_buffer_allocate")) {
    const uint64_t base = devbin_buffer_address(buffer);
    CHECK(base != 0);
    const uint32_t pattern = 0xc0ffee11u;
    ok(devbin_queue_fill(device, queue, base, 4096, &pattern, sizeof(pattern)), "devbin_queue_fill");
    ok(devbin_queue_copy(device, queue, base + 4096 + 3, base, 1000), "devbin_queue_copy");
    ok(devbin_queue_timestamp(device, queue, base + 6144), "devbin_queue_timestamp");
    ok(devbin_queue_synchronize(queue), "devbin_queue_synchronize");
    static unsigned char bytes[8192];
    ok(devbin_copy_to_host(device, bytes, base, sizeof(bytes)), "devbin_copy_to_host");
    uint32_t word;
    memcpy(&word, bytes + 4092, 4);
    CHECK(word == pattern);
    CHECK(memcmp(bytes + 4096 + 3, bytes, 1000) == 0);
    uint64_t steady;
    memcpy(&steady, bytes + 6144, 8);
    CHECK(steady != 0);

    devbin_clock_calibration_t calibration;
    if (ok(devbin_calibrate_clock(device, queue, 4, &calibration), "devbin_calibrate_clock")) {
      CHECK(calibration.frequency_hz == 1000000000u);
      CHECK(devbin_clock_to_host_ns(&calibration, calibration.ticks_at + 1000) == calibration.host_ns_at + 1000);
    }

    /* dispatch_patch: valid counts publish the packet. */
    devbin_aql_kernel_dispatch_packet_t packet;
    memset(&packet, 0, sizeof(packet));
    packet.header = DEVBIN_AQL_PACKET_TYPE_INVALID;
    const uint32_t counts[3] = {4, 1, 1};
    ok(devbin_copy_to_device(device, base, &packet, sizeof(packet)), "devbin_copy_to_device");
    ok(devbin_copy_to_device(device, base + 64, counts, sizeof(counts)), "devbin_copy_to_device");
    devbin_dispatch_args_t args;
    memset(&args, 0, sizeof(args));
    args.workgroup_counts = base + 64;
    args.packet = base;
    args.workgroup_size[0] = 64;
    args.workgroup_size[1] = args.workgroup_size[2] = 1;
    args.max_workgroup_count[0] = args.max_workgroup_count[1] = args.max_workgroup_count[2] = 1024;
    args.header = DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH;
    args.setup = 1;
    ok(devbin_queue_dispatch_patch(device, queue, &args), "devbin_queue_dispatch_patch");
    ok(devbin_queue_synchronize(queue), "devbin_queue_synchronize");
    ok(devbin_copy_to_host(device, &packet, base, sizeof(packet)), "devbin_copy_to_host");
    CHECK(packet.header == DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
    CHECK(packet.grid_size_x == 256);

    /* batch: a fill and a misaligned copy in one launch, from a table in device memory. */
    devbin_batch_op_t ops[3];
    const uint16_t half = 0xbeefu;
    ok(devbin_batch_fill_op(base + 2048, 512, &half, sizeof(half), &ops[0]), "devbin_batch_fill_op");
    ok(devbin_batch_copy_op(base + 3001, base + 4096 + 3, 1000, &ops[1]), "devbin_batch_copy_op");
    ok(devbin_batch_copy_op(base + 7000, base, 0, &ops[2]), "devbin_batch_copy_op(empty)");
    uint64_t chunks = 0;
    ok(devbin_batch_number(ops, 3, 256, &chunks), "devbin_batch_number");
    CHECK(chunks == 2 + 4);
    CHECK(ops[1].first_chunk == 2);
    ok(devbin_copy_to_device(device, base + 7168, ops, sizeof(ops)), "devbin_copy_to_device(table)");
    devbin_batch_args_t batch;
    memset(&batch, 0, sizeof(batch));
    batch.ops = base + 7168;
    batch.op_count = 3;
    batch.chunk_count = chunks;
    batch.chunk_bytes = 256;
    ok(devbin_queue_batch(device, queue, &batch), "devbin_queue_batch");
    ok(devbin_queue_synchronize(queue), "devbin_queue_synchronize");
    static unsigned char after[8192];
    ok(devbin_copy_to_host(device, after, base, sizeof(after)), "devbin_copy_to_host");
    uint16_t first_half;
    uint16_t last_half;
    memcpy(&first_half, after + 2048, 2);
    memcpy(&last_half, after + 2048 + 510, 2);
    CHECK(first_half == half && last_half == half);
    CHECK(memcmp(after + 3001, bytes + 4096 + 3, 1000) == 0);
    ok(devbin_batch_number(ops, 3, 0, &chunks), "devbin_batch_number(default chunk)");
    CHECK(chunks == 2);
    fails(devbin_batch_fill_op(base + 1, 4, &half, 2, &ops[0]), DEVBIN_STATUS_INVALID_ARGUMENT,
          "not a multiple of the 2-byte pattern width", "devbin_batch_fill_op(misaligned)");
    fails(devbin_batch_number(ops, 3, 8, &chunks), DEVBIN_STATUS_INVALID_ARGUMENT, "multiple of 16",
          "devbin_batch_number(8)");
    batch.ops = base + 7169;
    fails(devbin_queue_batch(device, queue, &batch), DEVBIN_STATUS_INVALID_ARGUMENT, "not 8-byte aligned",
          "devbin_queue_batch(misaligned table)");
    fails(devbin_queue_batch(device, queue, NULL), DEVBIN_STATUS_INVALID_ARGUMENT, "args is null",
          "devbin_queue_batch");

    /* rect: a 3D fill (2 slices of 3 rows of 12 bytes, pitches 20 and 100)
     * and a 2D copy of 4 rows of 13 bytes from pitch 21 to pitch 23. */
    const uint32_t word_pattern = 0x5a6b7c8du;
    const devbin_rect_region_t filled = {base, 20, 100};
    const devbin_rect_extent_t box = {12, 3, 2};
    ok(devbin_queue_fill_rect(device, queue, &filled, &box, &word_pattern, 4), "devbin_queue_fill_rect");
    const devbin_rect_region_t copy_source = {base + 4096 + 1, 21, 0};
    const devbin_rect_region_t copy_target = {base + 6000 + 3, 23, 0};
    const devbin_rect_extent_t rows = {13, 4, 1};
    ok(devbin_queue_copy_rect(device, queue, &copy_target, &copy_source, &rows), "devbin_queue_copy_rect");
    ok(devbin_queue_synchronize(queue), "devbin_queue_synchronize");
    static unsigned char rect[8192];
    ok(devbin_copy_to_host(device, rect, base, sizeof(rect)), "devbin_copy_to_host");
    for (size_t slice = 0; slice < 2; ++slice) {
      for (size_t row = 0; row < 3; ++row) {
        const size_t at = slice * 100 + row * 20;
        for (size_t b = 0; b < 12; b += 4) {
          memcpy(&word, rect + at + b, 4);
          CHECK(word == word_pattern);
        }
        CHECK(memcmp(rect + at + 12, after + at + 12, 8) == 0); /* the gap after each row is untouched */
      }
    }
    for (size_t row = 0; row < 4; ++row) {
      CHECK(memcmp(rect + 6003 + row * 23, after + 4097 + row * 21, 13) == 0);
      CHECK(memcmp(rect + 6003 + row * 23 + 13, after + 6003 + row * 23 + 13, 10) == 0);
    }
    fails(devbin_queue_fill_rect(device, queue, &copy_target, &box, &word_pattern, 4), DEVBIN_STATUS_INVALID_ARGUMENT,
          "fill_rect: base", "devbin_queue_fill_rect(misaligned)");
    const devbin_rect_region_t overlapping = {base + 6000, 23, 0};
    fails(devbin_queue_copy_rect(device, queue, &copy_target, &overlapping, &rows), DEVBIN_STATUS_INVALID_ARGUMENT,
          "overlap", "devbin_queue_copy_rect(overlapping)");
    fails(devbin_queue_copy_rect(device, queue, &copy_target, &copy_source, NULL), DEVBIN_STATUS_INVALID_ARGUMENT,
          "extent is null", "devbin_queue_copy_rect");
    fails(devbin_queue_fill_rect(device, queue, &filled, &box, NULL, 4), DEVBIN_STATUS_INVALID_ARGUMENT,
          "pattern is null", "devbin_queue_fill_rect");
    /* update: host bytes at an odd offset, from a buffer reused at once. */
    static unsigned char update_bytes[5000];
    for (size_t i = 0; i < sizeof(update_bytes); ++i) update_bytes[i] = (unsigned char)(i * 13 + 5);
    ok(devbin_queue_update(device, queue, base + 1001, update_bytes, sizeof(update_bytes)), "devbin_queue_update");
    memset(update_bytes, 0, sizeof(update_bytes));
    ok(devbin_queue_synchronize(queue), "devbin_queue_synchronize");
    static unsigned char updated[5002];
    ok(devbin_copy_to_host(device, updated, base + 1000, sizeof(updated)), "devbin_copy_to_host");
    for (size_t i = 0; i < 5000; ++i) CHECK(updated[1 + i] == (unsigned char)(i * 13 + 5));
    fails(devbin_queue_update(device, queue, base, NULL, 4), DEVBIN_STATUS_INVALID_ARGUMENT, "data is null",
          "devbin_queue_update(null)");
    fails(devbin_queue_update(device, queue, base, update_bytes, 0), DEVBIN_STATUS_INVALID_ARGUMENT, "empty",
          "devbin_queue_update(empty)");
    fails(devbin_queue_update(device, queue, base, update_bytes, 65537), DEVBIN_STATUS_INVALID_ARGUMENT,
          "at most 65536", "devbin_queue_update(65537)");

    /* Argument errors. */
    fails(devbin_queue_fill(device, queue, base, 9, &pattern, 3), DEVBIN_STATUS_INVALID_ARGUMENT, "", "devbin_queue_fill(3 B)");
    fails(devbin_queue_fill(device, NULL, base, 4, &pattern, 4), DEVBIN_STATUS_INVALID_ARGUMENT, "queue is null",
          "devbin_queue_fill");
    fails(devbin_queue_dispatch_patch(device, queue, NULL), DEVBIN_STATUS_INVALID_ARGUMENT, "args is null",
          "devbin_queue_dispatch_patch");
  }
  devbin_buffer_free(buffer);
  devbin_queue_free(queue);
  devbin_device_free(device);
}


/* hsa_queue_t as HSA's hsa.h lays it out (large model): what a caller that
 * submits recorded packets itself reads. */
typedef struct test_hsa_queue_t {
  uint32_t type;
  uint32_t features;
  void* base_address;
  uint64_t doorbell_signal;
  uint32_t size;
  uint32_t reserved1;
  uint64_t id;
} test_hsa_queue_t;

/* Submits a recorded packet into an AQL queue as devbin/recording.h says:
 * body with an INVALID header, then header | setup << 16 with one release
 * store, then the doorbell. */
static void submit_recorded(void* runtime, test_hsa_queue_t* queue, const devbin_recorded_launch_t* record) {
  uint64_t (*add_write_index)(const test_hsa_queue_t*, uint64_t) =
      (uint64_t (*)(const test_hsa_queue_t*, uint64_t))dlsym(runtime, "hsa_queue_add_write_index_scacq_screl");
  void (*store)(uint64_t, int64_t) = (void (*)(uint64_t, int64_t))dlsym(runtime, "hsa_signal_store_screlease");
  CHECK(add_write_index != NULL && store != NULL);
  if (add_write_index == NULL || store == NULL) return;
  const uint64_t index = add_write_index(queue, 1);
  unsigned char* slot = (unsigned char*)queue->base_address + (index & (queue->size - 1)) * 64;
  devbin_aql_kernel_dispatch_packet_t packet = record->hsa.packet;
  packet.header = DEVBIN_AQL_PACKET_TYPE_INVALID;
  memcpy(slot + 4, (const unsigned char*)&packet + 4, sizeof(packet) - 4);
  const uint32_t header = (uint32_t)record->hsa.header | ((uint32_t)record->hsa.setup << 16);
  __atomic_store_n((uint32_t*)slot, header, __ATOMIC_RELEASE);
  store(queue->doorbell_signal, (int64_t)index);
}

/* The other two places an operation goes: the caller's native queue, and a
 * recording in caller memory; and handles freed in any order. */
static void wrapped_and_recorded_queues(const char* runtime_path) {
  CHECK(devbin_api_version() == ((DEVBIN_API_VERSION_MAJOR << 16) | DEVBIN_API_VERSION_MINOR));
  CHECK(strcmp(devbin_kernel_name(DEVBIN_KERNEL_devbin_update), "devbin_update") == 0);
  CHECK(strcmp(devbin_kernel_name(DEVBIN_KERNEL_COUNT), "") == 0);

  devbin_open_options_t options = {250};
  devbin_device_t* device = NULL;
  if (!ok(devbin_device_open_with_options(DEVBIN_BACKEND_HSA, 0, &options, &device), "devbin_device_open_with_options")) {
    return;
  }
  devbin_queue_t* own = NULL;
  devbin_buffer_t* buffer = NULL;
  if (!ok(devbin_queue_create(device, &own), "devbin_queue_create") ||
      !ok(devbin_buffer_allocate(device, 16384, &buffer), "devbin_buffer_allocate")) {
    devbin_queue_free(own);
    devbin_device_free(device);
    return;
  }
  const uint64_t base = devbin_buffer_address(buffer);
  static unsigned char bytes[16384];
  const uint8_t zero = 0;
  ok(devbin_queue_fill(device, own, base, 16384, &zero, 1), "devbin_queue_fill(zero)");

  /* A wrapped native queue: the hsa_queue_t* is the caller's (here the one
   * behind devbin's own queue); freeing the wrapper leaves it working. */
  test_hsa_queue_t* native = (test_hsa_queue_t*)devbin_queue_native(own);
  CHECK(native != NULL);
  devbin_queue_t* wrapped = NULL;
  if (ok(devbin_queue_wrap(device, native, &wrapped), "devbin_queue_wrap")) {
    CHECK(devbin_queue_native(wrapped) == native);
    const uint8_t seven = 7;
    ok(devbin_queue_fill(device, wrapped, base, 4096, &seven, 1), "devbin_queue_fill(wrapped)");
    ok(devbin_queue_copy(device, wrapped, base + 4096 + 1, base, 1000), "devbin_queue_copy(wrapped)");
    ok(devbin_queue_synchronize(wrapped), "devbin_queue_synchronize(wrapped)");
    devbin_queue_free(wrapped);
  }
  const uint8_t nine = 9;
  ok(devbin_queue_fill(device, own, base + 8192, 64, &nine, 1), "devbin_queue_fill(own, after the wrapper)");
  ok(devbin_queue_synchronize(own), "devbin_queue_synchronize(own)");
  ok(devbin_copy_to_host(device, bytes, base, sizeof(bytes)), "devbin_copy_to_host");
  CHECK(bytes[0] == 7 && bytes[4095] == 7 && bytes[4097] == 7 && bytes[5096] == 7 && bytes[5097] == 0 && bytes[8192 + 63] == 9);
  fails(devbin_queue_wrap(device, NULL, &wrapped), DEVBIN_STATUS_INVALID_ARGUMENT, "a null hsa_queue_t",
        "devbin_queue_wrap(NULL)");
  test_hsa_queue_t tiny = *native;
  tiny.size = 2;
  fails(devbin_queue_wrap(device, &tiny, &wrapped), DEVBIN_STATUS_INVALID_ARGUMENT, "holds 2 packets",
        "devbin_queue_wrap(2 packets)");

  /* A recording: a fill and a 5000-byte update (two launches) written into
   * caller memory, then submitted into the native queue by hand. */
  static devbin_recorded_launch_t records[4];
  devbin_buffer_t* arg_memory = NULL;
  ok(devbin_buffer_allocate_host(device, 16384, &arg_memory), "devbin_buffer_allocate_host");
  unsigned char* args = (unsigned char*)devbin_buffer_host_pointer(arg_memory);
  CHECK(args != NULL && (uint64_t)(uintptr_t)args == devbin_buffer_address(arg_memory));
  CHECK(devbin_buffer_host_pointer(buffer) == NULL);
  devbin_queue_t* recorder = NULL;
  if (args != NULL && ok(devbin_recorder_create(device, records, 4, args, 16384, &recorder), "devbin_recorder_create")) {
    const uint32_t word = 0x01020304u;
    ok(devbin_queue_fill(device, recorder, base + 12288, 256, &word, 4), "devbin_queue_fill(recorder)");
    static unsigned char update[5000];
    for (size_t i = 0; i < sizeof(update); ++i) update[i] = (unsigned char)(i * 7 + 1);
    ok(devbin_queue_update(device, recorder, base + 1, update, sizeof(update)), "devbin_queue_update(recorder)");
    size_t launches = 0;
    size_t used = 0;
    ok(devbin_recorder_count(recorder, &launches, &used), "devbin_recorder_count");
    CHECK(launches == 3 && used > 0 && used <= 16384);
    CHECK(records[0].kernel == DEVBIN_KERNEL_devbin_fill && records[1].kernel == DEVBIN_KERNEL_devbin_update &&
          records[2].kernel == DEVBIN_KERNEL_devbin_update);
    for (size_t i = 0; i < launches; ++i) {
      CHECK(records[i].args >= (void*)args && (unsigned char*)records[i].args + records[i].args_size <= args + used);
      CHECK(((uintptr_t)records[i].args % 64) == 0);
      CHECK((records[i].hsa.header & 0xff) == DEVBIN_AQL_PACKET_TYPE_KERNEL_DISPATCH);
      CHECK(records[i].hsa.setup == 1 && records[i].hsa.packet.header == 0);
      CHECK(records[i].hsa.packet.kernarg_address == (uint64_t)(uintptr_t)records[i].args);
      CHECK(records[i].hsa.packet.kernel_object != 0 && records[i].hsa.packet.completion_signal == 0);
      CHECK(records[i].cuda.function == NULL);
    }
    /* Nothing ran: the recording is data. */
    ok(devbin_copy_to_host(device, bytes, base, sizeof(bytes)), "devbin_copy_to_host");
    CHECK(bytes[12288] == 0 && bytes[1] == 7);
    /* Too little left for another update: refused, nothing recorded. */
    fails(devbin_queue_update(device, recorder, base + 1, update, sizeof(update)), DEVBIN_STATUS_FAILED_PRECONDITION,
          "nothing was recorded", "devbin_queue_update(recorder full)");
    ok(devbin_recorder_count(recorder, &launches, NULL), "devbin_recorder_count");
    CHECK(launches == 3);
    fails(devbin_queue_synchronize(recorder), DEVBIN_STATUS_FAILED_PRECONDITION, "runs nothing",
          "devbin_queue_synchronize(recorder)");
    devbin_clock_calibration_t calibration;
    fails(devbin_calibrate_clock(device, recorder, 2, &calibration), DEVBIN_STATUS_FAILED_PRECONDITION,
          "runs nothing", "devbin_calibrate_clock(recorder)");
    fails(devbin_recorder_count(own, &launches, NULL), DEVBIN_STATUS_INVALID_ARGUMENT, "not a recorder",
          "devbin_recorder_count(own queue)");

    void* runtime = dlopen(runtime_path, RTLD_NOW | RTLD_NOLOAD);
    CHECK(runtime != NULL);
    if (runtime != NULL) {
      for (size_t i = 0; i < launches; ++i) submit_recorded(runtime, native, &records[i]);
      /* devbin's next packet has the barrier bit: once it completes, the
       * recorded ones did too. */
      ok(devbin_queue_fill(device, own, base + 8192, 1, &nine, 1), "devbin_queue_fill(after the recording)");
      ok(devbin_queue_synchronize(own), "devbin_queue_synchronize(after the recording)");
      dlclose(runtime);
    }
    ok(devbin_copy_to_host(device, bytes, base, sizeof(bytes)), "devbin_copy_to_host");
    uint32_t filled;
    memcpy(&filled, bytes + 12288 + 252, 4);
    CHECK(filled == word);
    CHECK(memcmp(bytes + 1, update, sizeof(update)) == 0);
    ok(devbin_recorder_reset(recorder), "devbin_recorder_reset");
    ok(devbin_recorder_count(recorder, &launches, &used), "devbin_recorder_count");
    CHECK(launches == 0 && used == 0);
  }

  /* A batch's chunk_bytes 0 is the default chunk, as devbin_batch_number takes it. */
  devbin_batch_op_t op;
  const uint8_t five = 5;
  ok(devbin_batch_fill_op(base + 9000, 2000, &five, 1, &op), "devbin_batch_fill_op");
  uint64_t chunks = 0;
  ok(devbin_batch_number(&op, 1, 0, &chunks), "devbin_batch_number(0)");
  ok(devbin_copy_to_device(device, base + 14336, &op, sizeof(op)), "devbin_copy_to_device(table)");
  devbin_batch_args_t batch;
  memset(&batch, 0, sizeof(batch));
  batch.ops = base + 14336;
  batch.op_count = 1;
  batch.chunk_count = chunks;
  batch.chunk_bytes = 0;
  ok(devbin_queue_batch(device, own, &batch), "devbin_queue_batch(chunk_bytes 0)");
  ok(devbin_queue_synchronize(own), "devbin_queue_synchronize");
  ok(devbin_copy_to_host(device, bytes, base, sizeof(bytes)), "devbin_copy_to_host");
  CHECK(chunks == 1 && bytes[9000] == 5 && bytes[10999] == 5 && bytes[11000] == 0);

  /* Host transfers that wrap the address space or name no host memory are refused. */
  fails(devbin_copy_to_device(device, UINT64_MAX - 3, bytes, 8), DEVBIN_STATUS_INVALID_ARGUMENT,
        "wrap the address space", "devbin_copy_to_device(wrapping)");
  fails(devbin_copy_to_host(device, NULL, base, 8), DEVBIN_STATUS_INVALID_ARGUMENT, "host pointer is null",
        "devbin_copy_to_host(NULL)");

  /* Handles freed in any order: the device handle first. */
  devbin_device_free(device);
  const uint8_t one = 1;
  fails(devbin_queue_fill(device, own, base, 1, &one, 1), DEVBIN_STATUS_INVALID_ARGUMENT, "not a live devbin_device_t",
        "devbin_queue_fill(freed device)");
  ok(devbin_queue_synchronize(own), "devbin_queue_synchronize(device handle freed)");
  devbin_device_free(device); /* a double free does nothing */
  devbin_buffer_free(buffer);
  devbin_buffer_free(arg_memory);
  devbin_queue_free(recorder);
  devbin_queue_free(own);
  fails(devbin_queue_synchronize(own), DEVBIN_STATUS_INVALID_ARGUMENT, "not a live devbin_queue_t",
        "devbin_queue_synchronize(freed)");
  devbin_queue_free(own);
  CHECK(devbin_buffer_address(buffer) == 0);
}

int main(int argc, char** argv) {
  toc_selection_and_validation();
  if (argc > 1) {
    setenv("DEVBIN_HSA_RUNTIME_PATH", argv[1], 1);
    setenv("DEVBIN_STAND_IN_HSA_AGENTS", "gfx1100", 1);
    devices_on_the_stand_in();
    wrapped_and_recorded_queues(argv[1]);
  } else {
    setenv("DEVBIN_HSA_RUNTIME_PATH", "/nonexistent/libhsa-runtime64.so.1", 1);
    devices_without_a_gpu();
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
