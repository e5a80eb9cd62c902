// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/target_id.h"

#include <gtest/gtest.h>

#include <string>

namespace devbin {
namespace {

TEST(AmdgpuTargetIdTest, ParsesHsaIsaNames) {
  auto id = parse_amdgpu_target_id("amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-");
  ASSERT_TRUE(id.ok()) << id.status().to_string();
  EXPECT_EQ(id->processor, "gfx942");
  EXPECT_EQ(id->sramecc, FeatureSetting::kOn);
  EXPECT_EQ(id->xnack, FeatureSetting::kOff);
  EXPECT_EQ(id->to_string(), "gfx942:sramecc+:xnack-");
  EXPECT_EQ(id->to_isa_name(), "amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-");
}

TEST(AmdgpuTargetIdTest, ParsesBareIdsAndGenericNames) {
  struct Case {
    const char* text;
    const char* processor;
    FeatureSetting sramecc;
    FeatureSetting xnack;
    const char* canonical;
  };
  const Case cases[] = {
      {"gfx90a:xnack+", "gfx90a", FeatureSetting::kAny, FeatureSetting::kOn, "gfx90a:xnack+"},
      {"gfx11-generic", "gfx11-generic", FeatureSetting::kAny, FeatureSetting::kAny, "gfx11-generic"},
      {"gfx9-4-generic:sramecc-", "gfx9-4-generic", FeatureSetting::kOff, FeatureSetting::kAny,
       "gfx9-4-generic:sramecc-"},
      // LLVM's canonical order is sramecc before xnack, whatever order was given.
      {"gfx90a:xnack-:sramecc+", "gfx90a", FeatureSetting::kOn, FeatureSetting::kOff, "gfx90a:sramecc+:xnack-"},
      {"gfx1100", "gfx1100", FeatureSetting::kAny, FeatureSetting::kAny, "gfx1100"},
      {"amdgcn-amd-amdhsa--gfx1151", "gfx1151", FeatureSetting::kAny, FeatureSetting::kAny, "gfx1151"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto id = parse_amdgpu_target_id(c.text);
    ASSERT_TRUE(id.ok()) << id.status().to_string();
    EXPECT_EQ(id->processor, c.processor);
    EXPECT_EQ(id->sramecc, c.sramecc);
    EXPECT_EQ(id->xnack, c.xnack);
    EXPECT_EQ(id->to_string(), c.canonical);
  }
}

TEST(AmdgpuTargetIdTest, RejectsMalformedTextNamingThePosition) {
  struct Case {
    const char* text;
    size_t position;
  };
  const Case cases[] = {
      {"", 0},
      {"gfx", 3},
      {"gpx942", 0},
      {"gfx942:", 7},
      {"gfx942:xnack", 12},
      {"gfx942:xnack*", 12},
      {"gfx942:xnack+:", 14},
      {"gfx942:xnack+:xnack-", 14},
      {"gfx942:foo+", 7},
      {"gfx942:xnack+x", 13},
      {"GFX942", 0},
      {"gfx9--generic", 4},
      {"gfx942 ", 6},
      {"amdgcn-amd-amdhsa-gfx942", 17},
      {"amdgcn-amd-amdhsa--", 19},
      {"gfx11-generic-", 13},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto id = parse_amdgpu_target_id(c.text);
    ASSERT_FALSE(id.ok());
    EXPECT_EQ(id.status().code(), StatusCode::kInvalidArgument);
    const std::string& message = id.status().message();
    EXPECT_NE(message.find("at position " + std::to_string(c.position)), std::string::npos) << message;
    EXPECT_NE(message.find("expected"), std::string::npos) << message;
  }
}

TEST(AmdgpuTargetIdTest, EscapesControlBytesInErrors) {
  auto id = parse_amdgpu_target_id(std::string_view("gfx9\x01\xff", 6));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.status().message().find("\\x01\\xff"), std::string::npos) << id.status().message();
}

TEST(NvidiaTargetTest, ParsesEveryForm) {
  struct Case {
    const char* text;
    NvidiaCodeKind kind;
    uint32_t major;
    uint32_t minor;
    NvidiaArchSuffix suffix;
    const char* canonical;
  };
  const Case cases[] = {
      {"sm_90", NvidiaCodeKind::kSass, 9, 0, NvidiaArchSuffix::kNone, "sm_90"},
      {"sm_90a", NvidiaCodeKind::kSass, 9, 0, NvidiaArchSuffix::kArchSpecific, "sm_90a"},
      {"sm_100f", NvidiaCodeKind::kSass, 10, 0, NvidiaArchSuffix::kFamily, "sm_100f"},
      {"sm_121", NvidiaCodeKind::kSass, 12, 1, NvidiaArchSuffix::kNone, "sm_121"},
      {"sm_86", NvidiaCodeKind::kSass, 8, 6, NvidiaArchSuffix::kNone, "sm_86"},
      {"compute_75", NvidiaCodeKind::kPtx, 7, 5, NvidiaArchSuffix::kNone, "compute_75"},
      {"nvptx64-nvidia-cuda--sm_90", NvidiaCodeKind::kSass, 9, 0, NvidiaArchSuffix::kNone, "sm_90"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto target = parse_nvidia_target(c.text);
    ASSERT_TRUE(target.ok()) << target.status().to_string();
    EXPECT_EQ(target->kind, c.kind);
    EXPECT_EQ(target->major, c.major);
    EXPECT_EQ(target->minor, c.minor);
    EXPECT_EQ(target->suffix, c.suffix);
    EXPECT_EQ(target->to_string(), c.canonical);
  }
}

TEST(NvidiaTargetTest, RejectsMalformedText) {
  struct Case {
    const char* text;
    size_t position;
  };
  const Case cases[] = {
      {"sm_", 3},   {"sm_9", 4},     {"sm_090", 3},    {"sm_90b", 5},      {"sm_90aa", 6},
      {"sm90", 0},  {"compute_", 8}, {"sm_123456", 7}, {"nvptx64-nvidia-cuda-sm_90", 19},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    auto target = parse_nvidia_target(c.text);
    ASSERT_FALSE(target.ok());
    EXPECT_NE(target.status().message().find("at position " + std::to_string(c.position)), std::string::npos)
        << target.status().message();
  }
}

TEST(TargetTest, DispatchesOnVendor) {
  auto amd = parse_target("amdgcn-amd-amdhsa--gfx1100");
  ASSERT_TRUE(amd.ok());
  EXPECT_EQ(amd->vendor, Vendor::kAmdgpu);
  EXPECT_EQ(amd->triple(), "amdgcn-amd-amdhsa");
  auto nv = parse_target("sm_89");
  ASSERT_TRUE(nv.ok());
  EXPECT_EQ(nv->vendor, Vendor::kNvidia);
  EXPECT_EQ(nv->to_string(), "sm_89");
  auto bad = parse_target("x86_64");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("expected an AMDGPU target ID"), std::string::npos);
}

}  // namespace
}  // namespace devbin
