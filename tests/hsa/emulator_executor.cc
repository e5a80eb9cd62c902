// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// The stand-in's emulator executor: a dispatch runs the loaded code object's
// own AMDGPU machine code on the instruction-set emulator in
// $DEVBIN_AMDGPU_EMULATOR (../shared/amdgpu-emulator: tinygrad's pure-Python
// RDNA3/RDNA4/CDNA emulator), embedded here with CPython.
//
// The emulator starts where the kernel descriptor (the packet's
// kernel_object) says the code is, with the initial state AMDGPUUsage
// ("Initial Kernel Execution State") gives a wave: the user SGPRs the
// descriptor enables, in their order (the dispatch pointer is the packet in
// the ring, the kernarg pointer the packet's kernarg_address, the queue
// pointer the hsa_queue_t), then the workgroup ids, and the work-item ids in
// v0. Its global memory is this process's memory, so kernels read and write
// the buffers the stand-in allocated directly. It runs one wave at a time and
// models no caches, memory ordering or timing. The real-time counter reads
// the host's CLOCK_MONOTONIC at 100 MHz as of the dispatch's start
// (emulator_clock.py); the cycle counters read shims.py's fixed values.
// emulator_model.py adds a seeded schedule (workgroups and waves in shuffled
// order, waves yielding at waits), the release ordering of a published packet
// header, and refuses s_sendmsg_rtn messages nothing models.
// s_getpc_b64, s_swappc_b64 and s_setpc_b64, with which AMDGPU kernels call
// the out-of-line range helpers, come from emulator_calls.py.
//
// Python lives on the executor thread alone: it is initialized there (the
// first time a code object is loaded) and every kernel runs there, so the
// thread holds the GIL for good and no other thread touches Python.
#define PY_SSIZE_T_CLEAN
#include <Python.h>
// Python.h first, as its documentation requires.
#include <dlfcn.h>
#include <sys/stat.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tests/hsa/executor_thread.h"
#include "tests/hsa/stand_in_runtime.h"
#include "tests/hsa/kernel_executor.h"

namespace devbin::hsa::stand_in {
namespace {

constexpr char kEmulatorEnv[] = DEVBIN_AMDGPU_EMULATOR_ENV;

// The emulated real-time counter: 100 MHz, as on AMD GPUs. The clock
// instructions read `g_clock_ticks` (emulator_clock.py), set before each kernel.
constexpr uint64_t kClockHz = 100000000;
alignas(8) uint64_t g_clock_ticks = 0;

// The schedule seed of every dispatch: DEVBIN_EMULATOR_SEED, else random;
// dispatch n runs with seed + n. Printed when the emulator starts.
uint64_t g_seed = 0;
std::atomic<uint64_t> g_dispatches{0};
// A test's launch shape (devbin_emulator_set_launch_shape): 0 = the packet's own.
std::atomic<uint32_t> g_shape_workgroup_size{0};
std::atomic<uint32_t> g_shape_workgroups{0};

// AMDGPUUsage, "Kernel Descriptor": byte offsets and bits the launch reads.
constexpr uint64_t kDescriptorSize = 64;
constexpr uint64_t kPrivateSegmentSizeOffset = 4;
constexpr uint64_t kEntryByteOffset = 16;  // int64, from the descriptor's own address
constexpr uint64_t kRsrc2Offset = 52;      // COMPUTE_PGM_RSRC2
constexpr uint64_t kPropertiesOffset = 56;  // kernel_code_properties (uint16)
constexpr uint32_t kRsrc2UserSgprCountShift = 1;
constexpr uint32_t kRsrc2UserSgprCountMask = 0x1f;
constexpr uint16_t kEnableWavefrontSize32 = 1u << 10;
// kernel_code_properties bits 0..6 enable these user SGPRs, in this order,
// with these sizes in dwords.
enum UserSgpr : uint16_t {
  kPrivateSegmentBuffer = 1u << 0,  // 4
  kDispatchPtr = 1u << 1,           // 2
  kQueuePtr = 1u << 2,              // 2
  kKernargSegmentPtr = 1u << 3,     // 2
  kDispatchId = 1u << 4,            // 2
  kFlatScratchInit = 1u << 5,       // 2
  kPrivateSegmentSize = 1u << 6,    // 1
};

// The emulator's name for the agent's instruction set; "" for one it cannot decode.
std::string emulator_arch(const std::string& processor) {
  if (processor.starts_with("gfx9")) return "cdna";  // its gfx950 decoder runs devbin's gfx9 kernels
  if (processor.starts_with("gfx11")) return "rdna3";
  // GFX12.5 (gfx1250, gfx1251) is not RDNA4: the rdna4 decoder fails on its
  // first instruction (s_setreg_imm32_b32 WAVE_MODE) and lacks s_wait_xcnt.
  if (processor.starts_with("gfx125")) return "";
  if (processor.starts_with("gfx12")) return "rdna4";
  return "";  // RDNA1/2 (gfx10) and GCN before gfx9 are not decodable
}

uint64_t read_u64(uint64_t address) {
  uint64_t value;
  std::memcpy(&value, reinterpret_cast<const void*>(address), 8);
  return value;
}
uint32_t read_u32(uint64_t address) {
  uint32_t value;
  std::memcpy(&value, reinterpret_cast<const void*>(address), 4);
  return value;
}
uint16_t read_u16(uint64_t address) {
  uint16_t value;
  std::memcpy(&value, reinterpret_cast<const void*>(address), 2);
  return value;
}

// The pending Python exception as text (its traceback's last lines), cleared.
std::string python_error() {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  std::string text = "a Python error with no description";
  PyObject* module = PyImport_ImportModule("traceback");
  PyObject* lines = module == nullptr ? nullptr
                                      : PyObject_CallMethod(module, "format_exception", "OOO", type ? type : Py_None,
                                                            value ? value : Py_None, traceback ? traceback : Py_None);
  if (lines != nullptr) {
    PyObject* empty = PyUnicode_FromString("");
    PyObject* joined = empty == nullptr ? nullptr : PyUnicode_Join(empty, lines);
    if (joined != nullptr) {
      if (const char* utf8 = PyUnicode_AsUTF8(joined); utf8 != nullptr) text = utf8;
    }
    Py_XDECREF(joined);
    Py_XDECREF(empty);
  }
  PyErr_Clear();
  Py_XDECREF(lines);
  Py_XDECREF(module);
  Py_XDECREF(type);
  Py_XDECREF(value);
  Py_XDECREF(traceback);
  constexpr size_t kKeep = 1500;  // the end of a traceback says what failed
  if (text.size() > kKeep) text = "..." + text.substr(text.size() - kKeep);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// The embedded interpreter with the emulator imported; touched on the
// executor thread only.
struct Emulator {
  bool started = false;
  std::string failure;        // why it could not start, once it failed
  PyObject* run_asm = nullptr;
  PyObject* set_dispatch = nullptr;

  // Imports the emulator from `directory` and the shims beside it; the
  // emulator compiles each instruction it meets with `compiler`.
  void start(const std::string& directory) {
    started = true;
    // Python's extension modules (_ctypes, ...) resolve libpython's symbols
    // globally, but the HSA runtime, and so libpython with it, was opened
    // RTLD_LOCAL: make libpython global first.
    Dl_info info{};
    if (dladdr(reinterpret_cast<void*>(&Py_InitializeFromConfig), &info) == 0 || info.dli_fname == nullptr ||
        dlopen(info.dli_fname, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr) {
      failure = "cannot make libpython's symbols global (dlopen RTLD_GLOBAL failed)";
      return;
    }
    // Isolated: no PYTHON* variables or user site, and no signal handlers,
    // so the process keeps its own.
    PyConfig config;
    PyConfig_InitIsolatedConfig(&config);
    config.install_signal_handlers = 0;
    PyStatus status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status)) {
      failure = std::string("embedded Python did not start: ") + (status.err_msg ? status.err_msg : "no reason given");
      return;
    }
    PyObject* globals = PyDict_New();
    PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins());
    PyObject* directory_text = PyUnicode_FromString(directory.c_str());
    PyObject* compiler_text = PyUnicode_FromString(DEVBIN_EMULATOR_CC);
    PyDict_SetItemString(globals, "emulator_dir", directory_text);
    PyDict_SetItemString(globals, "compiler", compiler_text);
    PyObject* clock_dir = PyUnicode_FromString(DEVBIN_EMULATOR_CLOCK_DIR);
    PyObject* clock_address = PyLong_FromUnsignedLongLong(reinterpret_cast<uintptr_t>(&g_clock_ticks));
    PyDict_SetItemString(globals, "clock_dir", clock_dir);
    PyDict_SetItemString(globals, "clock_address", clock_address);
    Py_XDECREF(directory_text);
    Py_XDECREF(compiler_text);
    Py_XDECREF(clock_dir);
    Py_XDECREF(clock_address);
    // The emulator's instruction compiler reads $CC; answer it from here
    // rather than change the process's environment.
    static const char kSetup[] =
        "import os, sys\n"
        "sys.path[:0] = [os.path.join(emulator_dir, 'tree'), emulator_dir]\n"
        "import tinygrad.runtime.support.compiler_cpu as compiler_cpu\n"
        "_getenv = compiler_cpu.getenv\n"
        "compiler_cpu.getenv = lambda key, default=0: compiler if key == 'CC' else _getenv(key, default)\n"
        "from test.mockgpu.amd.emu import run_asm\n"
        "import shims\n"
        "sys.path.insert(0, clock_dir)\n"
        "import emulator_clock\n"
        "emulator_clock.install(clock_address)\n"
        "import emulator_calls\n"
        "emulator_calls.install()\n"
        "import emulator_model\n"
        "emulator_model.install()\n"
        "set_dispatch = emulator_model.set_dispatch\n";
    PyObject* result = PyRun_String(kSetup, Py_file_input, globals, globals);
    if (result == nullptr) {
      failure = "importing the emulator from " + directory + " failed: " + python_error();
    } else {
      run_asm = PyDict_GetItemString(globals, "run_asm");
      set_dispatch = PyDict_GetItemString(globals, "set_dispatch");
      Py_XINCREF(run_asm);
      Py_XINCREF(set_dispatch);
      if (run_asm == nullptr || set_dispatch == nullptr) failure = "the emulator in " + directory + " has no run_asm";
      const char* seed = std::getenv("DEVBIN_EMULATOR_SEED");
      g_seed = seed != nullptr && *seed != '\0' ? std::strtoull(seed, nullptr, 0) : std::random_device{}();
      std::fprintf(stderr, "devbin emulated GPU: schedule seed %llu (DEVBIN_EMULATOR_SEED=%llu repeats it)\n",
                   static_cast<unsigned long long>(g_seed), static_cast<unsigned long long>(g_seed));
    }
    Py_XDECREF(result);
    Py_DECREF(globals);
  }

  // run_asm(lib, lib_sz, gx, gy, gz, lx, ly, lz, args_ptr, rsrc2, scratch_size, arch, user_data).
  std::string run(uint64_t entry, uint64_t code_bytes, const uint32_t groups[3], const uint32_t group_size[3],
                  uint64_t kernarg, uint32_t rsrc2, uint32_t private_size, const std::string& arch,
                  const std::vector<uint32_t>& user_sgprs, uint64_t seed, uint64_t watched, bool needs_write_back) {
    PyObject* scheduled = PyObject_CallFunction(set_dispatch, "KIIIKi", static_cast<unsigned long long>(seed),
                                                groups[0], groups[1], groups[2],
                                                static_cast<unsigned long long>(watched), needs_write_back ? 1 : 0);
    if (scheduled == nullptr) return "the emulator's schedule failed: " + python_error();
    Py_DECREF(scheduled);
    PyObject* sgprs = PyList_New(static_cast<Py_ssize_t>(user_sgprs.size()));
    for (size_t i = 0; i < user_sgprs.size(); ++i) {
      PyList_SET_ITEM(sgprs, static_cast<Py_ssize_t>(i), PyLong_FromUnsignedLong(user_sgprs[i]));
    }
    PyObject* args = Py_BuildValue("(KKIIIIIIKIIs)", static_cast<unsigned long long>(entry),
                                   static_cast<unsigned long long>(code_bytes), groups[0], groups[1], groups[2],
                                   group_size[0], group_size[1], group_size[2],
                                   static_cast<unsigned long long>(kernarg), rsrc2, private_size, arch.c_str());
    PyObject* keywords = Py_BuildValue("{sO}", "user_data", sgprs);
    PyObject* result = args && keywords ? PyObject_Call(run_asm, args, keywords) : nullptr;
    std::string error;
    if (result == nullptr) {
      error = "the emulator failed: " + python_error();
    } else if (!PyLong_Check(result) || PyLong_AsLong(result) != 0) {
      error = "the emulator's run_asm did not return 0";
    }
    Py_XDECREF(result);
    Py_XDECREF(keywords);
    Py_XDECREF(args);
    Py_XDECREF(sgprs);
    return error;
  }
};

Emulator& emulator() {
  static auto* instance = new Emulator();  // never destroyed: Python is never finalized
  return *instance;
}

// The emulator folder the environment names, checked; "" and `error` set when unusable.
std::string emulator_directory(std::string* error) {
  const char* directory = std::getenv(kEmulatorEnv);
  if (directory == nullptr || *directory == '\0') {
    *error = std::string(kEmulatorEnv) + " is not set; expected the folder of the AMDGPU emulator (../shared/amdgpu-emulator)";
    return "";
  }
  struct stat info {};
  const std::string emu = std::string(directory) + "/tree/test/mockgpu/amd/emu.py";
  if (::stat(emu.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    *error = std::string(kEmulatorEnv) + "=" + directory + " holds no tree/test/mockgpu/amd/emu.py";
    return "";
  }
  return directory;
}

}  // namespace

api::hsa_status_t executor_accepts(const AgentModel& agent, const LoadedImage&, std::string* error) {
  if (emulator_arch(agent.processor).empty()) {
    *error = "the AMDGPU emulator cannot run " + agent.processor +
             ": it decodes gfx9 (GCN/CDNA), gfx11 (RDNA3) and gfx120X (RDNA4) only";
    return api::HSA_STATUS_ERROR_INVALID_ISA;
  }
  const std::string directory = emulator_directory(error);
  if (directory.empty()) return api::HSA_STATUS_ERROR;
  std::string failure;
  ExecutorThread::instance().run([&] {
    Emulator& emu = emulator();
    if (!emu.started) emu.start(directory);
    failure = emu.failure;
  });
  if (!failure.empty()) {
    *error = failure;
    return api::HSA_STATUS_ERROR;
  }
  return api::HSA_STATUS_SUCCESS;
}

uint64_t executor_timestamp_frequency_hz() { return kClockHz; }

api::hsa_status_t executor_run(const KernelDispatch& dispatch, std::string* error) {
  // A test's launch shape replaces a 1-D packet's workgroup size and count:
  // the kernel then reads the shaped packet through its dispatch pointer, as
  // it would a packet the runtime built that way.
  alignas(64) devbin_aql_kernel_dispatch_packet_t shaped = *dispatch.packet;
  const uint32_t shape_size = g_shape_workgroup_size.load();
  const uint32_t shape_groups = g_shape_workgroups.load();
  const bool reshaped = shape_size != 0 && shape_groups != 0 && (shaped.setup & 3) == 1 &&
                        dispatch.kernel->name != "devbin_dispatch_patch";
  if (reshaped) {
    shaped.workgroup_size_x = static_cast<uint16_t>(shape_size);
    shaped.grid_size_x = shape_size * shape_groups;
  }
  const devbin_aql_kernel_dispatch_packet_t& packet = reshaped ? shaped : *dispatch.packet;
  const LoadedImage& image = *dispatch.kernel->image;
  const uint64_t image_begin = reinterpret_cast<uintptr_t>(image.base);
  const uint64_t image_end = image_begin + image.size;

  // The grid, in workgroups: the emulator runs whole workgroups only.
  const uint16_t dimensions = packet.setup & 3;
  const uint32_t group_size[3] = {packet.workgroup_size_x, packet.workgroup_size_y, packet.workgroup_size_z};
  const uint32_t grid[3] = {packet.grid_size_x, packet.grid_size_y, packet.grid_size_z};
  uint32_t groups[3];
  if (dimensions < 1) {
    *error = "the packet's setup gives 0 dimensions; expected 1 to 3";
    return api::HSA_STATUS_ERROR_INVALID_PACKET_FORMAT;
  }
  for (int i = 0; i < 3; ++i) {
    if (group_size[i] == 0 || grid[i] == 0 || grid[i] % group_size[i] != 0) {
      *error = "dimension " + std::to_string(i) + ": grid " + std::to_string(grid[i]) + ", workgroup " +
               std::to_string(group_size[i]) + "; the emulator runs whole, non-empty workgroups only";
      return api::HSA_STATUS_ERROR_INVALID_PACKET_FORMAT;
    }
    groups[i] = grid[i] / group_size[i];
  }

  // The kernel descriptor and the code it points at, inside the image.
  const uint64_t descriptor = dispatch.kernel->descriptor;
  if (descriptor < image_begin || image_end - descriptor < kDescriptorSize) {
    *error = "the kernel descriptor lies outside its code object's image";
    return api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  }
  const uint64_t entry = descriptor + read_u64(descriptor + kEntryByteOffset);  // wraps for negative offsets
  if (entry < image_begin || entry >= image_end || entry % 256 != 0) {
    *error = "the kernel's entry (descriptor + kernel_code_entry_byte_offset) is outside the image or not 256-byte "
             "aligned";
    return api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  }
  const uint32_t rsrc2 = read_u32(descriptor + kRsrc2Offset);
  const uint16_t properties = read_u16(descriptor + kPropertiesOffset);
  const std::string arch = emulator_arch(dispatch.agent->processor);
  const bool wave32 = (properties & kEnableWavefrontSize32) != 0;
  if (wave32 != (arch != "cdna")) {
    *error = std::string("the kernel is built for wave") + (wave32 ? "32" : "64") + "; the emulator runs " + arch +
             " as wave" + (arch == "cdna" ? "64" : "32");
    return api::HSA_STATUS_ERROR_INVALID_ISA;
  }

  std::vector<uint32_t> sgprs;
  auto push_u64 = [&sgprs](uint64_t value) {
    sgprs.push_back(static_cast<uint32_t>(value));
    sgprs.push_back(static_cast<uint32_t>(value >> 32));
  };
  // No scratch is set up: the private segment buffer and flat scratch stay 0,
  // and a kernel that needs private memory is refused below.
  if (properties & kPrivateSegmentBuffer) sgprs.insert(sgprs.end(), 4, 0);
  if (properties & kDispatchPtr) push_u64(reinterpret_cast<uintptr_t>(&packet));
  if (properties & kQueuePtr) push_u64(reinterpret_cast<uintptr_t>(dispatch.queue));
  if (properties & kKernargSegmentPtr) push_u64(packet.kernarg_address);
  if (properties & kDispatchId) push_u64(dispatch.dispatch_id);
  if (properties & kFlatScratchInit) push_u64(0);
  if (properties & kPrivateSegmentSize) sgprs.push_back(0);
  const uint32_t user_sgpr_count = (rsrc2 >> kRsrc2UserSgprCountShift) & kRsrc2UserSgprCountMask;
  if (sgprs.size() > user_sgpr_count) {
    *error = "the kernel descriptor enables " + std::to_string(sgprs.size()) + " user SGPRs but COMPUTE_PGM_RSRC2 "
             "counts " + std::to_string(user_sgpr_count);
    return api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT;
  }
  sgprs.resize(user_sgpr_count, 0);  // gfx11 kernels may declare more than they use
  const uint32_t private_size = read_u32(descriptor + kPrivateSegmentSizeOffset);
  if (private_size != 0 || packet.private_segment_size != 0) {
    *error = "the kernel needs " + std::to_string(std::max(private_size, packet.private_segment_size)) +
             " bytes of private memory; the stand-in sets up no scratch";
    return api::HSA_STATUS_ERROR_INVALID_ARGUMENT;
  }

  // The word whose change publishes a packet: devbin_dispatch_patch's target
  // packet header (devbin_dispatch_args_t::packet, at byte 8 of its kernargs).
  const uint64_t watched =
      dispatch.kernel->name == "devbin_dispatch_patch" ? read_u64(packet.kernarg_address + 8) : 0;
  // AMDGPUUsage's memory model: a system-scope release writes the L2 back on
  // gfx90a, gfx942/gfx950 (buffer_wbl2) and gfx12 (global_wb).
  const std::string& processor = dispatch.agent->processor;
  const bool needs_write_back = processor.starts_with("gfx90a") || processor.starts_with("gfx94") ||
                                processor.starts_with("gfx950") || processor.starts_with("gfx12");
  const uint64_t seed = g_seed + g_dispatches.fetch_add(1);
  ExecutorThread::instance().run([&] {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    g_clock_ticks = (static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec)) /
                    (1000000000u / kClockHz);
    *error = emulator().run(entry, image_end - entry, groups, group_size, packet.kernarg_address, rsrc2, private_size,
                            arch, sgprs, seed, watched, needs_write_back);
  });
  return error->empty() ? api::HSA_STATUS_SUCCESS : api::HSA_STATUS_ERROR_EXCEPTION;
}

}  // namespace devbin::hsa::stand_in

// Test hooks, found with dlsym in the loaded stand-in.
extern "C" {
// Every later 1-D dispatch (but devbin_dispatch_patch's) runs `workgroups`
// workgroups of `workgroup_size` work-items; 0, 0 restores the packets' own.
__attribute__((visibility("default"))) void devbin_emulator_set_launch_shape(uint32_t workgroup_size,
                                                                             uint32_t workgroups) {
  devbin::hsa::stand_in::g_shape_workgroup_size = workgroup_size;
  devbin::hsa::stand_in::g_shape_workgroups = workgroups;
}
// The base schedule seed (dispatch n of the process runs with seed + n).
__attribute__((visibility("default"))) uint64_t devbin_emulator_schedule_seed(void) {
  return devbin::hsa::stand_in::g_seed;
}
}
