// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Inputs the fuzzers (fuzz/) found to break a property, inline, each with the
// fix it pins. The harness that found one states the property; the test here
// checks the same thing through the public API.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "devbin/select.h"
#include "devbin/toc.h"

namespace devbin {
namespace {

// select_fuzzer, input "sm_121\n\nnvptx64-nvidia-cuda--nvptx64-nvidia-cuda--compute_75.ptx":
// parse_toc_entry_name took everything after the first "--" as the target, and
// the target parsers accept a triple prefix, so the entry's target became
// "nvptx64-nvidia-cuda--compute_75". Selection then picked it as PTX for
// sm_121 while entry.target did not name a target (an override by target id
// could not find it; reports printed a triple as the target). Fixed in
// runtime/src/toc.cc: the target must parse with its vendor's parser, contain
// no second "--", and (NVIDIA) agree with the extension and carry no features.
TEST(FuzzRegression, TocEntryNameWithATripleInsideItsTarget) {
  TocEntry entry;
  for (std::string_view name : {
           "nvptx64-nvidia-cuda--nvptx64-nvidia-cuda--compute_75.ptx",
           "amdgcn-amd-amdhsa--amdgcn-amd-amdhsa--gfx90a.so",
       }) {
    SCOPED_TRACE(name);
    Status status = parse_toc_entry_name(name, &entry);
    ASSERT_FALSE(status.ok());
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("has a second '--' in its target"), std::string::npos) << status.message();
  }
  // The same TOC the fuzzer built, now without the entry: nothing serves sm_121.
  TocEntry good;
  ASSERT_TRUE(parse_toc_entry_name("nvptx64-nvidia-cuda--compute_75.ptx", &good).ok());
  EXPECT_EQ(good.target, "compute_75");
  const TocEntry entries[] = {good};
  auto selection = select("sm_121", Toc{entries});
  ASSERT_TRUE(selection.ok()) << selection.status().to_string();
  EXPECT_EQ(selection->entry->target, "compute_75");
  EXPECT_TRUE(selection->jit);
}

// Found with the one above (same fix): names whose target the extension
// contradicts, or that are not targets at all, were accepted and then either
// never selected or refused only when their bytes were validated.
TEST(FuzzRegression, TocEntryNameWhoseTargetIsNotATarget) {
  TocEntry entry;
  for (std::string_view name : {
           "nvptx64-nvidia-cuda--sm_90.ptx",          // PTX named for SASS
           "nvptx64-nvidia-cuda--compute_75.cubin",   // a cubin named for PTX
           "nvptx64-nvidia-cuda--sm_90:xnack+.cubin", // NVIDIA targets have no features
           "nvptx64-nvidia-cuda--sm_9.cubin",
           "amdgcn-amd-amdhsa--GFX90A.so",
           "amdgcn-amd-amdhsa--gfx90a:xnack.so",
           "amdgcn-amd-amdhsa--gfx90a:.so",
       }) {
    SCOPED_TRACE(name);
    Status status = parse_toc_entry_name(name, &entry);
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.message().find("expected <triple>--<target>"), std::string::npos) << status.message();
  }
}

}  // namespace
}  // namespace devbin
