// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Which code objects the runtime can load, against the stand-in's model of
// three ROCm generations (DEVBIN_STAND_IN_HSA_ROCM, stand_in_runtime.h): 6.4 lists
// each agent's generic ISA after its own and loads generic code objects; 6.3
// lists none and refuses them; 5.2 also refuses code object v6. devbin never
// hands the loader a generic code object the runtime does not list, and
// says which ROCm loads what it refused.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "devbin/hsa.h"
#include "devbin/toc.h"
#include "hsa/device_impl.h"
#include "tests/hsa/stand_in_fixture.h"

namespace devbin::hsa {
namespace {

class HsaIsaSupport : public HsaDevice {};

TEST_F(HsaIsaSupport, Rocm64ListsTheGenericIsaAndLoadsTheGenericCodeObject) {
  setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx942:sramecc+:xnack-", 1);
  auto agents = list_agents();
  ASSERT_TRUE(agents.ok()) << agents.status().to_string();
  ASSERT_EQ(agents->at(0).isa_names.size(), 2u);
  EXPECT_EQ(agents->at(0).isa_names[1], "amdgcn-amd-amdhsa--gfx9-4-generic:sramecc+:xnack-");
  DeviceReport report;
  auto device = Device::open(0, {}, &report);
  ASSERT_TRUE(device.ok()) << device.status().to_string();
  EXPECT_EQ(report.selection.entry, "amdgcn-amd-amdhsa--gfx9-4-generic.so");
  EXPECT_EQ(report.target, "gfx942:sramecc+:xnack-");  // the agent's own ISA, not the generic
}

// ROCm 6.3: no generic ISA, so the generic code object is refused before the
// loader sees it, naming the ROCm that loads it.
TEST_F(HsaIsaSupport, Rocm63RefusesGenericCodeObjectsUpFront) {
  setenv(DEVBIN_STAND_IN_HSA_ROCM_ENV, "6.3", 1);
  setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx1100,gfx1201,gfx90a:xnack-", 1);
  auto agents = list_agents();
  ASSERT_TRUE(agents.ok());
  EXPECT_EQ(agents->at(0).isa_names.size(), 1u);

  for (int index : {0, 1}) {
    DeviceReport report;
    auto device = Device::open(index, {}, &report);
    ASSERT_FALSE(device.ok());
    EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
    const std::string generic = index == 0 ? "gfx11-generic" : "gfx12-generic";
    EXPECT_PRED_FORMAT2(assert_contains, device.status().message(),
                        "amdgcn-amd-amdhsa--" + generic + ".so is a generic code object and this HSA runtime "
                        "cannot load generic code objects for the agent: it lists no " + generic + " ISA");
    EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), "generic code objects need ROCm 6.4 or later");
    EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), "DEVBIN_AMDGPU_TARGETS=");
  }
  // gfx90a's code object is exact: it loads on 6.3.
  auto gfx90a = Device::open(2);
  EXPECT_TRUE(gfx90a.ok()) << gfx90a.status().to_string();

  // Forcing the generic code object is refused the same way.
  OpenOptions forced;
  forced.override_entry = "amdgcn-amd-amdhsa--gfx11-generic.so";
  auto device = Device::open(0, forced);
  ASSERT_FALSE(device.ok());
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), "lists no gfx11-generic ISA");
}

// ROCm 5.2 (Debian's): code object v6 itself is refused; the hint names the
// version and the ROCm that loads it.
TEST_F(HsaIsaSupport, Rocm52RefusesCodeObjectV6WithAHint) {
  setenv(DEVBIN_STAND_IN_HSA_ROCM_ENV, "5.2", 1);
  setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, "gfx90a:xnack-", 1);
  auto device = Device::open(0);
  ASSERT_FALSE(device.ok());
  EXPECT_EQ(device.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(),
                      "hsa_executable_load_agent_code_object(amdgcn-amd-amdhsa--gfx90a.so) returned "
                      "HSA_STATUS_ERROR_INVALID_CODE_OBJECT (0x1010)");
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(),
                      "the runtime does not accept amdgcn-amd-amdhsa--gfx90a.so (code object v6) for "
                      "amdgcn-amd-amdhsa--gfx90a:xnack-: code object v6 needs ROCm 6.3 or later");
  EXPECT_PRED_FORMAT2(assert_contains, device.status().message(), "DEVBIN_TARGET_OVERRIDE");
}

// The stand-in's model itself, called directly as devbin would never call it
// (devbin refuses first): a ROCm 6.3 loader refuses the generic code objects
// with ROCr's status codes, a 6.4 one loads them.
TEST_F(HsaIsaSupport, TheModelledLoadersRefuseAsRocrDoes) {
  void* runtime = dlopen(DEVBIN_HSA_STAND_IN_RUNTIME, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(runtime, nullptr);
  using IterateAgents = api::hsa_status_t (*)(api::hsa_agent_callback_t, void*);
  using CreateReader = api::hsa_status_t (*)(const void*, size_t, api::hsa_code_object_reader_t*);
  using CreateExecutable = api::hsa_status_t (*)(api::hsa_profile_t, api::hsa_default_float_rounding_mode_t,
                                                 const char*, api::hsa_executable_t*);
  using Load = api::hsa_status_t (*)(api::hsa_executable_t, api::hsa_agent_t, api::hsa_code_object_reader_t,
                                     const char*, api::hsa_loaded_code_object_t*);
  using Destroy = api::hsa_status_t (*)(api::hsa_executable_t);
  using DestroyReader = api::hsa_status_t (*)(api::hsa_code_object_reader_t);
  auto iterate_agents = reinterpret_cast<IterateAgents>(dlsym(runtime, "hsa_iterate_agents"));
  auto create_reader = reinterpret_cast<CreateReader>(dlsym(runtime, "hsa_code_object_reader_create_from_memory"));
  auto create_executable = reinterpret_cast<CreateExecutable>(dlsym(runtime, "hsa_executable_create_alt"));
  auto load = reinterpret_cast<Load>(dlsym(runtime, "hsa_executable_load_agent_code_object"));
  auto destroy = reinterpret_cast<Destroy>(dlsym(runtime, "hsa_executable_destroy"));
  auto destroy_reader = reinterpret_cast<DestroyReader>(dlsym(runtime, "hsa_code_object_reader_destroy"));
  ASSERT_TRUE(iterate_agents && create_reader && create_executable && load && destroy && destroy_reader);

  struct Case {
    const char* rocm;
    const char* agent;
    const char* entry;
    api::hsa_status_t expected;
  };
  const Case cases[] = {
      {"6.3", "gfx1100", "amdgcn-amd-amdhsa--gfx11-generic.so", api::HSA_STATUS_ERROR_INVALID_ISA_NAME},
      {"6.3", "gfx906", "amdgcn-amd-amdhsa--gfx9-generic.so", api::HSA_STATUS_ERROR_INVALID_ISA_NAME},
      {"6.3", "gfx1201", "amdgcn-amd-amdhsa--gfx12-generic.so", api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT},
      {"6.3", "gfx942:sramecc+:xnack-", "amdgcn-amd-amdhsa--gfx9-4-generic.so",
       api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT},
      {"6.3", "gfx90a:xnack-", "amdgcn-amd-amdhsa--gfx90a.so", api::HSA_STATUS_SUCCESS},
      {"5.2", "gfx90a:xnack-", "amdgcn-amd-amdhsa--gfx90a.so", api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT},
      {"6.4", "gfx1100", "amdgcn-amd-amdhsa--gfx11-generic.so", api::HSA_STATUS_SUCCESS},
      {"6.4", "gfx1100", "amdgcn-amd-amdhsa--gfx12-generic.so", api::HSA_STATUS_ERROR_INVALID_ISA},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.rocm) + " " + c.agent + " " + c.entry);
    setenv(DEVBIN_STAND_IN_HSA_ROCM_ENV, c.rocm, 1);
    setenv(DEVBIN_STAND_IN_HSA_AGENTS_ENV, c.agent, 1);
    api::hsa_agent_t gpu{};
    iterate_agents(
        [](api::hsa_agent_t agent, void* data) {
          *static_cast<api::hsa_agent_t*>(data) = agent;  // the last agent is the GPU
          return api::HSA_STATUS_SUCCESS;
        },
        &gpu);
    const TocEntry* entry = embedded_toc().find(c.entry);
    ASSERT_NE(entry, nullptr);
    api::hsa_code_object_reader_t reader{};
    api::hsa_executable_t executable{};
    ASSERT_EQ(create_reader(entry->data, entry->size, &reader), api::HSA_STATUS_SUCCESS);
    ASSERT_EQ(create_executable(api::HSA_PROFILE_FULL, api::HSA_DEFAULT_FLOAT_ROUNDING_MODE_DEFAULT, nullptr,
                                &executable),
              api::HSA_STATUS_SUCCESS);
    EXPECT_EQ(api::status_name(load(executable, gpu, reader, nullptr, nullptr)), api::status_name(c.expected));
    destroy(executable);
    destroy_reader(reader);
  }
  dlclose(runtime);
}

// The hints for what older loaders say to generic code objects, and the ISA
// list split, as the backend uses them.
TEST(HsaLoadHints, EachRefusalNamesTheRocmNeeded) {
  const TocEntry* gfx11 = embedded_toc().find("amdgcn-amd-amdhsa--gfx11-generic.so");
  const TocEntry* gfx12 = embedded_toc().find("amdgcn-amd-amdhsa--gfx12-generic.so");
  ASSERT_TRUE(gfx11 != nullptr && gfx12 != nullptr);
  CodeObjectInfo info;
  info.code_object_version = 6;
  const std::string isa_name_hint =
      load_refusal_hint(api::HSA_STATUS_ERROR_INVALID_ISA_NAME, *gfx11, info, "amdgcn-amd-amdhsa--gfx1100");
  EXPECT_PRED_FORMAT2(assert_contains, isa_name_hint,
                      "(code object v6, generic gfx11-generic) for amdgcn-amd-amdhsa--gfx1100: it has no ISA named "
                      "gfx11-generic; generic code objects need ROCm 6.4 or later");
  const std::string code_object_hint =
      load_refusal_hint(api::HSA_STATUS_ERROR_INVALID_CODE_OBJECT, *gfx12, info, "amdgcn-amd-amdhsa--gfx1201");
  EXPECT_PRED_FORMAT2(assert_contains, code_object_hint,
                      "code object v6 needs ROCm 6.3 or later, a generic code object ROCm 6.4 or later");
  EXPECT_EQ(load_refusal_hint(api::HSA_STATUS_ERROR_OUT_OF_RESOURCES, *gfx12, info, "x"), "");

  const AgentIsas isas = split_isas({"amdgcn-amd-amdhsa--gfx1100", "amdgcn-amd-amdhsa--gfx11-generic"});
  ASSERT_EQ(isas.native.size(), 1u);
  ASSERT_EQ(isas.generic.size(), 1u);
  EXPECT_TRUE(runtime_lists_generic(isas, *gfx11));
  EXPECT_FALSE(runtime_lists_generic(isas, *gfx12));
  EXPECT_FALSE(runtime_lists_generic(split_isas({"amdgcn-amd-amdhsa--gfx1100"}), *gfx11));
}

}  // namespace
}  // namespace devbin::hsa
