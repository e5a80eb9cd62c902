// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/select.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "devbin/target_map.h"

namespace devbin {
namespace {

// A TOC of named entries without bytes: selection reads names only.
class FakeToc {
 public:
  explicit FakeToc(std::vector<std::string> names) : names_(std::move(names)), entries_(names_.size()) {
    for (size_t i = 0; i < names_.size(); ++i) {
      Status status = parse_toc_entry_name(names_[i], &entries_[i]);
      EXPECT_TRUE(status.ok()) << status.to_string();
    }
  }
  Toc toc() const { return Toc{entries_}; }

 private:
  std::vector<std::string> names_;
  std::vector<TocEntry> entries_;
};

std::string amd(std::string_view target) { return "amdgcn-amd-amdhsa--" + std::string(target) + ".so"; }
std::string cubin(std::string_view sm) { return "nvptx64-nvidia-cuda--" + std::string(sm) + ".cubin"; }
std::string ptx(std::string_view compute) { return "nvptx64-nvidia-cuda--" + std::string(compute) + ".ptx"; }

// The shipped set, as the target map describes it.
FakeToc shipped_toc() {
  std::vector<std::string> names;
  for (const AmdgpuCodeObject& code_object : amdgpu_code_objects()) names.push_back(amd(code_object.name));
  for (const NvidiaMapTarget& target : nvidia_targets()) {
    names.push_back(target.ptx ? ptx(target.name) : cubin(target.name));
  }
  return FakeToc(std::move(names));
}

std::string feature_suffix(const AmdgpuProcessor& p, FeatureSetting sramecc, FeatureSetting xnack) {
  AmdgpuTargetId id{std::string(p.name), p.sramecc ? sramecc : FeatureSetting::kAny,
                    p.xnack ? xnack : FeatureSetting::kAny};
  return id.to_isa_name();
}

TEST(SelectAmdgpuTest, EveryProcessorInTheMapGetsItsCodeObjectWithEveryFeatureSetting) {
  FakeToc fake = shipped_toc();
  ASSERT_FALSE(amdgpu_processors().empty());
  const FeatureSetting settings[] = {FeatureSetting::kAny, FeatureSetting::kOn, FeatureSetting::kOff};
  for (const AmdgpuProcessor& processor : amdgpu_processors()) {
    for (FeatureSetting sramecc : settings) {
      for (FeatureSetting xnack : settings) {
        const std::string isa = feature_suffix(processor, sramecc, xnack);
        SCOPED_TRACE(isa);
        auto selection = select(isa, fake.toc());
        ASSERT_TRUE(selection.ok()) << selection.status().to_string();
        EXPECT_EQ(selection->entry->target, processor.code_object);
        const bool exact = processor.code_object == processor.name;
        EXPECT_EQ(selection->kind, exact ? SelectionKind::kExact : SelectionKind::kGeneric);
        EXPECT_FALSE(selection->jit);
        EXPECT_NE(selection->reason.find(std::string(processor.code_object)), std::string::npos) << selection->reason;
      }
    }
  }
}

// gfx908 (MI100), gfx90a (MI200), gfx1250 and gfx1251: no LLVM 22 generic
// covers them, so only their own exact code object runs on them.
TEST(SelectAmdgpuTest, ProcessorsNoGenericCoversTakeOnlyTheirExactCodeObject) {
  FakeToc generic_only({amd("gfx9-generic"), amd("gfx9-4-generic"), amd("gfx12-generic")});
  FakeToc shipped = shipped_toc();
  for (const char* isa : {"gfx908:sramecc+:xnack-", "gfx90a:xnack-", "gfx1250", "gfx1251:sramecc-:xnack+"}) {
    SCOPED_TRACE(isa);
    auto none = select(isa, generic_only.toc());
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
    auto exact = select(isa, shipped.toc());
    ASSERT_TRUE(exact.ok()) << exact.status().to_string();
    EXPECT_EQ(exact->kind, SelectionKind::kExact);
    EXPECT_EQ(std::string(isa).substr(0, exact->entry->target.size()), exact->entry->target);
  }
}

TEST(SelectAmdgpuTest, ExactBeatsGeneric) {
  FakeToc fake({amd("gfx11-generic"), amd("gfx1100")});
  auto selection = select("amdgcn-amd-amdhsa--gfx1100", fake.toc());
  ASSERT_TRUE(selection.ok());
  EXPECT_EQ(selection->entry->target, "gfx1100");
  EXPECT_EQ(selection->kind, SelectionKind::kExact);
  auto other = select("gfx1101", fake.toc());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->entry->target, "gfx11-generic");
  EXPECT_EQ(other->kind, SelectionKind::kGeneric);
}

// blob setting x device setting -> fits? "any" blobs fit all; on/off only the same.
TEST(SelectAmdgpuTest, FeatureCompatibilityTable) {
  struct Case {
    const char* blob_features;  // "" = any
    const char* device;
    bool fits;
  };
  const Case cases[] = {
      {"", "gfx90a", true},
      {"", "gfx90a:xnack+", true},
      {"", "gfx90a:xnack-", true},
      {"", "gfx90a:sramecc+:xnack+", true},
      {"xnack+", "gfx90a:xnack+", true},
      {"xnack+", "gfx90a:sramecc-:xnack+", true},
      {"xnack+", "gfx90a:xnack-", false},
      {"xnack+", "gfx90a", false},  // device setting unknown: only "any" is safe
      {"xnack-", "gfx90a:xnack-", true},
      {"xnack-", "gfx90a:xnack+", false},
      {"sramecc+", "gfx90a:sramecc+:xnack-", true},
      {"sramecc+", "gfx90a:sramecc-:xnack-", false},
      {"sramecc-:xnack+", "gfx90a:sramecc-:xnack+", true},
      {"sramecc-:xnack+", "gfx90a:sramecc-:xnack-", false},
      {"sramecc-:xnack+", "gfx90a:sramecc+:xnack+", false},
  };
  for (const Case& c : cases) {
    const std::string name = std::string(c.blob_features).empty()
                                 ? amd("gfx90a")
                                 : "amdgcn-amd-amdhsa--gfx90a:" + std::string(c.blob_features) + ".so";
    SCOPED_TRACE(name + " on " + c.device);
    FakeToc fake({name});
    auto selection = select(c.device, fake.toc());
    EXPECT_EQ(selection.ok(), c.fits) << (selection.ok() ? selection->reason : selection.status().to_string());
  }
}

TEST(SelectAmdgpuTest, MostSpecificFeatureMatchWins) {
  FakeToc fake({amd("gfx90a"), "amdgcn-amd-amdhsa--gfx90a:xnack+.so", "amdgcn-amd-amdhsa--gfx90a:xnack-.so"});
  auto on = select("gfx90a:sramecc+:xnack+", fake.toc());
  ASSERT_TRUE(on.ok());
  EXPECT_EQ(on->entry->features, "xnack+");
  auto off = select("gfx90a:sramecc+:xnack-", fake.toc());
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->entry->features, "xnack-");
  auto unknown = select("gfx90a", fake.toc());
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->entry->features, "");
}

TEST(SelectAmdgpuTest, NeverCrossesFamilies) {
  // Only other families' code objects: gfx1100 must not get gfx10-3 or gfx12 code.
  FakeToc fake({amd("gfx10-3-generic"), amd("gfx12-generic"), amd("gfx9-generic")});
  auto selection = select("gfx1100", fake.toc());
  ASSERT_FALSE(selection.ok());
  const std::string& message = selection.status().message();
  EXPECT_EQ(selection.status().code(), StatusCode::kNotFound);
  EXPECT_NE(message.find("amdgcn-amd-amdhsa--gfx1100"), std::string::npos) << message;
  EXPECT_NE(message.find("gfx11-generic"), std::string::npos) << message;  // what the map expects
  EXPECT_NE(message.find("amdgcn-amd-amdhsa--gfx10-3-generic.so"), std::string::npos) << message;
  EXPECT_NE(message.find("amdgcn-amd-amdhsa--gfx12-generic.so"), std::string::npos) << message;
  EXPECT_NE(message.find("build_tools/target_map.py"), std::string::npos) << message;
}

TEST(SelectAmdgpuTest, UnknownAndUnsupportedProcessorsSayWhy) {
  FakeToc fake = shipped_toc();
  auto unknown = select("gfx9999", fake.toc());
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("does not know processor gfx9999"), std::string::npos)
      << unknown.status().message();
  ASSERT_FALSE(amdgpu_unsupported_processors().empty());
  for (const AmdgpuUnsupportedProcessor& processor : amdgpu_unsupported_processors()) {
    SCOPED_TRACE(processor.name);
    auto selection = select(std::string(processor.name), fake.toc());
    ASSERT_FALSE(selection.ok());
    EXPECT_NE(selection.status().message().find("unsupported"), std::string::npos) << selection.status().message();
    EXPECT_NE(selection.status().message().find(std::string(processor.reason)), std::string::npos);
    // Adding it to the map would not help: the reason says why, no how-to follows.
    EXPECT_EQ(selection.status().message().find("to add the target"), std::string::npos)
        << selection.status().message();
  }
}

TEST(SelectAmdgpuTest, FeatureTheProcessorLacksIsAnError) {
  FakeToc fake = shipped_toc();
  auto selection = select("gfx1100:xnack+", fake.toc());
  ASSERT_FALSE(selection.ok());
  EXPECT_EQ(selection.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(selection.status().message().find("has no xnack feature"), std::string::npos);
}

TEST(SelectAmdgpuTest, EmptyTocSaysSo) {
  FakeToc fake({});
  auto selection = select("gfx1100", fake.toc());
  ASSERT_FALSE(selection.ok());
  EXPECT_NE(selection.status().message().find("the TOC is empty"), std::string::npos);
}

struct NvidiaCase {
  const char* device;
  const char* expected;  // "" = no selection
  SelectionKind kind;
};

void run_nvidia_cases(const FakeToc& fake, std::initializer_list<NvidiaCase> cases) {
  for (const NvidiaCase& c : cases) {
    SCOPED_TRACE(c.device);
    auto selection = select(c.device, fake.toc());
    if (std::string_view(c.expected).empty()) {
      ASSERT_FALSE(selection.ok()) << selection->reason;
      EXPECT_EQ(selection.status().code(), StatusCode::kNotFound);
      continue;
    }
    ASSERT_TRUE(selection.ok()) << selection.status().to_string();
    EXPECT_EQ(selection->entry->target, c.expected);
    EXPECT_EQ(selection->kind, c.kind);
    EXPECT_EQ(selection->jit, c.kind == SelectionKind::kPtxJit);
  }
}

TEST(SelectNvidiaTest, ShippedSetRules) {
  FakeToc fake = shipped_toc();
  run_nvidia_cases(fake, {
                             {"sm_75", "sm_75", SelectionKind::kExact},
                             {"sm_80", "sm_80", SelectionKind::kExact},
                             {"sm_86", "sm_86", SelectionKind::kExact},
                             {"sm_87", "sm_86", SelectionKind::kCompatibleSass},
                             {"sm_89", "sm_89", SelectionKind::kExact},
                             {"sm_90", "sm_90", SelectionKind::kExact},
                             {"sm_90a", "sm_90", SelectionKind::kExact},  // a device is a plain SM
                             {"sm_100", "sm_100", SelectionKind::kExact},
                             {"sm_103", "sm_100", SelectionKind::kCompatibleSass},
                             {"sm_110", "compute_75", SelectionKind::kPtxJit},
                             {"sm_120", "sm_120", SelectionKind::kExact},
                             {"sm_121", "sm_120", SelectionKind::kCompatibleSass},
                             {"sm_70", "", SelectionKind::kExact},  // older than every entry
                         });
}

TEST(SelectNvidiaTest, SassNeverCrossesMajors) {
  FakeToc fake({cubin("sm_80")});
  run_nvidia_cases(fake, {{"sm_90", "", SelectionKind::kExact}, {"sm_75", "", SelectionKind::kExact}});
}

TEST(SelectNvidiaTest, ArchSpecificOnlyOnItsExactSm) {
  FakeToc fake({cubin("sm_90a"), cubin("sm_90"), ptx("compute_75")});
  run_nvidia_cases(fake, {
                             {"sm_90", "sm_90a", SelectionKind::kExact},
                             {"sm_89", "compute_75", SelectionKind::kPtxJit},
                             {"sm_100", "compute_75", SelectionKind::kPtxJit},
                         });
  FakeToc only_a({cubin("sm_100a")});
  run_nvidia_cases(only_a, {{"sm_103", "", SelectionKind::kExact}, {"sm_100", "sm_100a", SelectionKind::kExact}});
}

TEST(SelectNvidiaTest, FamilyRunsOnLaterMinorsOfItsMajor) {
  FakeToc fake({cubin("sm_100f"), ptx("compute_90a")});
  run_nvidia_cases(fake, {
                             {"sm_100", "sm_100f", SelectionKind::kExact},
                             {"sm_103", "sm_100f", SelectionKind::kCompatibleSass},
                             {"sm_120", "", SelectionKind::kExact},
                             {"sm_90", "compute_90a", SelectionKind::kPtxJit},  // arch-specific PTX: exact SM only
                             {"sm_89", "", SelectionKind::kExact},
                         });
}

TEST(SelectNvidiaTest, HighestFittingPtx) {
  FakeToc fake({ptx("compute_75"), ptx("compute_80"), ptx("compute_90")});
  run_nvidia_cases(fake, {
                             {"sm_86", "compute_80", SelectionKind::kPtxJit},
                             {"sm_120", "compute_90", SelectionKind::kPtxJit},
                             {"sm_75", "compute_75", SelectionKind::kPtxJit},
                         });
}

TEST(SelectNvidiaTest, FailureNamesDeviceExpectationEntriesAndFix) {
  FakeToc fake({cubin("sm_90")});
  auto selection = select("sm_80", fake.toc());
  ASSERT_FALSE(selection.ok());
  const std::string& message = selection.status().message();
  EXPECT_NE(message.find("nvptx64-nvidia-cuda--sm_80"), std::string::npos) << message;
  EXPECT_NE(message.find("expected a cubin sm_8X"), std::string::npos) << message;
  EXPECT_NE(message.find("nvptx64-nvidia-cuda--sm_90.cubin"), std::string::npos) << message;
  EXPECT_NE(message.find("to add the target"), std::string::npos) << message;
}

TEST(SelectOverrideTest, ForcesAnEntryAfterValidatingIt) {
  FakeToc fake = shipped_toc();
  SelectOptions options;
  options.override_entry = "nvptx64-nvidia-cuda--compute_75.ptx";
  auto forced = select("sm_90", fake.toc(), options);
  ASSERT_TRUE(forced.ok()) << forced.status().to_string();
  EXPECT_EQ(forced->entry->target, "compute_75");
  EXPECT_EQ(forced->kind, SelectionKind::kOverride);
  EXPECT_TRUE(forced->jit);
  EXPECT_NE(forced->reason.find(kTargetOverrideEnv), std::string::npos);

  options.override_entry = "compute_75";  // a target id alone works too
  EXPECT_TRUE(select("sm_90", fake.toc(), options).ok());

  options.override_entry = "sm_120";  // exists, but cannot run on sm_90
  auto wrong = select("sm_90", fake.toc(), options);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong.status().message().find("cannot run on sm_90"), std::string::npos) << wrong.status().message();

  options.override_entry = "nvptx64-nvidia-cuda--sm_999.cubin";  // names nothing
  auto missing = select("sm_90", fake.toc(), options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("names no TOC entry"), std::string::npos);

  options.override_entry = "amdgcn-amd-amdhsa--gfx11-generic.so";  // other vendor
  auto vendor = select("sm_90", fake.toc(), options);
  ASSERT_FALSE(vendor.ok());
  EXPECT_EQ(vendor.status().code(), StatusCode::kInvalidArgument);

  options.override_entry = "gfx11-generic";
  auto generic = select("gfx1151", fake.toc(), options);
  ASSERT_TRUE(generic.ok()) << generic.status().to_string();
  EXPECT_EQ(generic->kind, SelectionKind::kOverride);
}

// DEVBIN_TARGET_OVERRIDE's list: each device takes its own vendor's entry,
// and a vendor the list does not name selects by the rules.
TEST(SelectOverrideTest, TheEnvironmentListAppliesPerVendor) {
  FakeToc fake = shipped_toc();
  SelectOptions options;
  options.vendor_overrides = "nvptx64-nvidia-cuda--compute_75.ptx";
  auto nvidia = select("sm_90", fake.toc(), options);
  ASSERT_TRUE(nvidia.ok()) << nvidia.status().to_string();
  EXPECT_EQ(nvidia->kind, SelectionKind::kOverride);
  EXPECT_EQ(nvidia->entry->target, "compute_75");
  auto amd = select("gfx1100", fake.toc(), options);  // no AMD entry named: the rules decide
  ASSERT_TRUE(amd.ok()) << amd.status().to_string();
  EXPECT_EQ(amd->kind, SelectionKind::kGeneric);
  EXPECT_EQ(amd->entry->target, "gfx11-generic");

  options.vendor_overrides = "compute_75,gfx11-generic";  // one per vendor, in any order
  EXPECT_EQ(select("sm_90", fake.toc(), options)->entry->target, "compute_75");
  EXPECT_EQ(select("gfx1151", fake.toc(), options)->kind, SelectionKind::kOverride);
  options.vendor_overrides = "gfx11-generic,compute_75";
  EXPECT_EQ(select("sm_90", fake.toc(), options)->entry->target, "compute_75");

  // The entry of the device's vendor is checked as override_entry is.
  options.vendor_overrides = "compute_75,gfx90a";
  auto cannot = select("gfx1100", fake.toc(), options);
  ASSERT_FALSE(cannot.ok());
  EXPECT_EQ(cannot.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(cannot.status().message().find("DEVBIN_TARGET_OVERRIDE='gfx90a' names amdgcn-amd-amdhsa--gfx90a.so, "
                                           "which cannot run on gfx1100"),
            std::string::npos)
      << cannot.status().message();

  // Every entry must exist, for every device: a typo is never silently ignored.
  options.vendor_overrides = "compute_75,gfx9999";
  auto missing = select("sm_90", fake.toc(), options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  // Issue 26: the whole value is quoted, then the entry that names nothing.
  EXPECT_NE(missing.status().message().find(
                "DEVBIN_TARGET_OVERRIDE='compute_75,gfx9999': its entry 'gfx9999' names no TOC entry"),
            std::string::npos)
      << missing.status().message();

  options.vendor_overrides = "compute_75,sm_90";
  auto twice = select("gfx1100", fake.toc(), options);
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("names two nvptx64-nvidia-cuda entries "
                                          "(nvptx64-nvidia-cuda--compute_75.ptx and nvptx64-nvidia-cuda--sm_90.cubin); "
                                          "expected at most one per vendor"),
            std::string::npos)
      << twice.status().message();

  for (const char* empty : {",", "compute_75,", ",gfx11-generic"}) {
    options.vendor_overrides = empty;
    auto refused = select("sm_90", fake.toc(), options);
    ASSERT_FALSE(refused.ok()) << empty;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << empty;
    EXPECT_NE(refused.status().message().find("has an empty entry"), std::string::npos) << refused.status().message();
  }

  // A per-device override wins over the list.
  options.vendor_overrides = "compute_75";
  options.override_entry = "sm_90";
  EXPECT_EQ(select("sm_90", fake.toc(), options)->entry->target, "sm_90");
}

TEST(SelectOverrideTest, ReadsTheEnvironment) {
  ::unsetenv(kTargetOverrideEnv);
  EXPECT_FALSE(target_override_from_env().has_value());
  ::setenv(kTargetOverrideEnv, "", 1);
  EXPECT_FALSE(target_override_from_env().has_value());
  ::setenv(kTargetOverrideEnv, "compute_75", 1);
  ASSERT_TRUE(target_override_from_env().has_value());
  EXPECT_EQ(*target_override_from_env(), "compute_75");
  ::unsetenv(kTargetOverrideEnv);
}

TEST(SelectTest, MalformedDeviceIsaIsAnError) {
  FakeToc fake = shipped_toc();
  for (const char* text : {"", "gfx", "sm_", "banana", "gfx1100:xnack", "amdgcn-amd-amdhsa--"}) {
    SCOPED_TRACE(text);
    auto selection = select(text, fake.toc());
    ASSERT_FALSE(selection.ok());
    EXPECT_EQ(selection.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(MapChoiceTest, AnswersFromTheMapAlone) {
  auto gfx1151 = describe_map_choice(*parse_target("gfx1151"));
  ASSERT_TRUE(gfx1151.ok()) << gfx1151.status().to_string();
  EXPECT_NE(gfx1151->find("gfx11-generic"), std::string::npos) << *gfx1151;
  auto sm = describe_map_choice(*parse_target("sm_87"));
  ASSERT_TRUE(sm.ok());
  EXPECT_NE(sm->find("sm_86"), std::string::npos) << *sm;
  EXPECT_FALSE(describe_map_choice(*parse_target("gfx9999")).ok());
}

TEST(TocTest, ParsesEntryNamesAndRejectsBadOnes) {
  TocEntry entry;
  ASSERT_TRUE(parse_toc_entry_name("amdgcn-amd-amdhsa--gfx90a:xnack+.so", &entry).ok());
  EXPECT_EQ(entry.triple, "amdgcn-amd-amdhsa");
  EXPECT_EQ(entry.target, "gfx90a");
  EXPECT_EQ(entry.features, "xnack+");
  EXPECT_EQ(entry.target_id(), "gfx90a:xnack+");
  for (const char* bad : {"gfx90a.so", "amdgcn-amd-amdhsa--gfx90a", "x86_64-linux--foo.so",
                          "amdgcn-amd-amdhsa--gfx90a.cubin", "nvptx64-nvidia-cuda--sm_90.so",
                          "amdgcn-amd-amdhsa--.so", "--gfx90a.so"}) {
    SCOPED_TRACE(bad);
    Status status = parse_toc_entry_name(bad, &entry);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.message().find("expected <triple>--<target>"), std::string::npos);
  }
}

}  // namespace
}  // namespace devbin
