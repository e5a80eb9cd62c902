// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#include "devbin/target_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace devbin {
namespace {

std::vector<std::string> to_strings(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

std::vector<std::string> expand_or_die(std::string_view selectors) {
  auto result = expand_amdgpu_targets(selectors);
  EXPECT_TRUE(result.ok()) << selectors << ": " << result.status().to_string();
  return result.ok() ? to_strings(*result) : std::vector<std::string>{};
}

TEST(TargetMapTest, EveryProcessorRunsAKnownCodeObjectOfTheSameGenericness) {
  ASSERT_FALSE(amdgpu_processors().empty());
  for (const AmdgpuProcessor& p : amdgpu_processors()) {
    SCOPED_TRACE(std::string(p.name));
    const AmdgpuCodeObject* code_object = find_amdgpu_code_object(p.code_object);
    ASSERT_NE(code_object, nullptr);
    if (code_object->generic_version == 0) {
      EXPECT_EQ(p.code_object, p.name) << "an exact code object serves only its own processor";
      EXPECT_EQ(p.min_generic_version, 0u);
      EXPECT_EQ(code_object->mach, p.mach);
    } else {
      EXPECT_GE(p.min_generic_version, 1u);
      EXPECT_LE(p.min_generic_version, code_object->generic_version);
      EXPECT_NE(code_object->mach, p.mach);
    }
    // A blob built with a feature "any" must find the feature on the device.
    EXPECT_TRUE(!code_object->xnack || p.xnack);
    EXPECT_TRUE(!code_object->sramecc || p.sramecc);
  }
}

TEST(TargetMapTest, EveryCodeObjectServesSomeProcessor) {
  for (const AmdgpuCodeObject& code_object : amdgpu_code_objects()) {
    bool served = false;
    for (const AmdgpuProcessor& p : amdgpu_processors()) served = served || p.code_object == code_object.name;
    EXPECT_TRUE(served) << code_object.name;
    EXPECT_GE(code_object.min_llvm_major, 19u) << code_object.name;
  }
}

TEST(TargetMapTest, MachsAreUniquePerName) {
  std::map<uint32_t, std::string_view> seen;
  auto add = [&seen](std::string_view name, uint32_t mach) {
    auto [it, inserted] = seen.emplace(mach, name);
    EXPECT_TRUE(inserted || it->second == name) << name << " and " << it->second << " share mach " << mach;
  };
  for (const AmdgpuCodeObject& c : amdgpu_code_objects()) add(c.name, c.mach);
  for (const AmdgpuProcessor& p : amdgpu_processors()) add(p.name, p.mach);
  for (const AmdgpuUnsupportedProcessor& u : amdgpu_unsupported_processors()) add(u.name, u.mach);
  for (const auto& [mach, name] : seen) EXPECT_EQ(amdgpu_mach_name(mach), name);
  EXPECT_EQ(amdgpu_mach_name(0xff), "");
}

TEST(TargetMapTest, KnownMachsAndLookups) {
  EXPECT_EQ(amdgpu_mach_name(0x2c), "gfx900");
  EXPECT_EQ(amdgpu_mach_name(0x3f), "gfx90a");
  EXPECT_EQ(amdgpu_mach_name(0x4c), "gfx942");
  EXPECT_EQ(amdgpu_mach_name(0x41), "gfx1100");
  EXPECT_EQ(amdgpu_mach_name(0x51), "gfx9-generic");
  EXPECT_EQ(amdgpu_mach_name(0x5f), "gfx9-4-generic");
  EXPECT_EQ(amdgpu_mach_name(0x30), "gfx908");
  ASSERT_NE(find_amdgpu_code_object_by_mach(0x54), nullptr);
  EXPECT_EQ(find_amdgpu_code_object_by_mach(0x54)->name, "gfx11-generic");
  EXPECT_EQ(find_amdgpu_code_object_by_mach(0x41), nullptr);  // gfx1100 is served by gfx11-generic

  const AmdgpuProcessor* gfx1151 = find_amdgpu_processor("gfx1151");
  ASSERT_NE(gfx1151, nullptr);
  EXPECT_EQ(gfx1151->code_object, "gfx11-generic");
  EXPECT_EQ(gfx1151->kind, AmdgpuGpuKind::kIgpu);
  EXPECT_EQ(amdgpu_gpu_kind_name(find_amdgpu_processor("gfx942")->kind), "dcgpu");

  // Exact code objects where no generic covers the processor.
  for (const char* exact : {"gfx908", "gfx90a", "gfx1250", "gfx1251"}) {
    const AmdgpuProcessor* processor = find_amdgpu_processor(exact);
    ASSERT_NE(processor, nullptr) << exact;
    EXPECT_EQ(processor->code_object, exact);
    EXPECT_EQ(processor->min_generic_version, 0u) << exact;
  }
  EXPECT_EQ(find_amdgpu_code_object_by_mach(0x30)->name, "gfx908");
  EXPECT_EQ(find_amdgpu_code_object_by_mach(0x49)->name, "gfx1250");
  EXPECT_EQ(find_amdgpu_code_object_by_mach(0x5a)->name, "gfx1251");
  EXPECT_EQ(find_amdgpu_processor("gfx940"), nullptr);
  const AmdgpuUnsupportedProcessor* gfx940 = find_amdgpu_unsupported_processor("gfx940");
  ASSERT_NE(gfx940, nullptr);
  EXPECT_NE(gfx940->reason.find("pre-production MI300"), std::string_view::npos);

  ASSERT_FALSE(nvidia_targets().empty());
  int ptx = 0;
  for (const NvidiaMapTarget& t : nvidia_targets()) ptx += t.ptx ? 1 : 0;
  EXPECT_EQ(ptx, 1);
}

TEST(TargetMapTest, FamiliesNameOnlyKnownProcessors) {
  ASSERT_FALSE(amdgpu_families().empty());
  for (const AmdgpuFamily& family : amdgpu_families()) {
    EXPECT_FALSE(family.processors.empty()) << family.selector;
    size_t start = 0;
    const std::string_view list = family.processors;
    while (start < list.size()) {
      size_t end = list.find(' ', start);
      if (end == std::string_view::npos) end = list.size();
      const std::string_view name = list.substr(start, end - start);
      EXPECT_TRUE(find_amdgpu_processor(name) != nullptr || find_amdgpu_unsupported_processor(name) != nullptr)
          << family.selector << " names " << name;
      start = end + 1;
    }
  }
}

TEST(TargetMapTest, ExpandsKnownSelectors) {
  EXPECT_EQ(expand_or_die("gfx110X-igpu"), (std::vector<std::string>{"gfx1103"}));
  EXPECT_EQ(expand_or_die("gfx94X-dcgpu"), (std::vector<std::string>{"gfx942"}));
  EXPECT_EQ(expand_or_die("gfx90X-all"), (std::vector<std::string>{"gfx906", "gfx908", "gfx90a"}));
  EXPECT_EQ(expand_or_die("gfx103X-igpu"), (std::vector<std::string>{"gfx1035", "gfx1036"}));
  EXPECT_EQ(expand_or_die("gfx12-generic"), (std::vector<std::string>{"gfx1200", "gfx1201"}));
  // Map order and no duplicates, whatever the input order; ',' and ';' both separate.
  EXPECT_EQ(expand_or_die(" gfx1101 ,gfx90a;gfx110X-dgpu;;gfx90a"),
            (std::vector<std::string>{"gfx90a", "gfx1100", "gfx1101", "gfx1102"}));

  const std::vector<std::string> dgpu = expand_or_die("dgpu-all");
  EXPECT_NE(std::find(dgpu.begin(), dgpu.end(), "gfx906"), dgpu.end());
  const std::vector<std::string> igpu = expand_or_die("igpu-all");
  for (const char* name : {"gfx1035", "gfx1036", "gfx1103", "gfx1150", "gfx1151", "gfx1152", "gfx1153"}) {
    EXPECT_NE(std::find(igpu.begin(), igpu.end(), name), igpu.end()) << name;
  }
  EXPECT_EQ(expand_or_die("all").size(), amdgpu_processors().size());
}

TEST(TargetMapTest, ExpansionErrorsSayWhy) {
  auto unknown = expand_amdgpu_targets("gfx1100;gfx9999");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("'gfx9999'"), std::string::npos);
  for (const char* known : {"gfx110X-all", "dgpu-all", "all", "gfx11-generic", "gfx1151"}) {
    EXPECT_NE(unknown.status().message().find(known), std::string::npos) << known;
  }

  auto unsupported = expand_amdgpu_targets("gfx941");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_NE(unsupported.status().message().find("gfx941"), std::string::npos);
  EXPECT_NE(unsupported.status().message().find(find_amdgpu_unsupported_processor("gfx941")->reason),
            std::string::npos);

  EXPECT_FALSE(expand_amdgpu_targets("").ok());
  EXPECT_FALSE(expand_amdgpu_targets(" ; ,").ok());
  // Untrusted bytes come back escaped, never raw.
  auto binary = expand_amdgpu_targets(std::string_view("gfx\x01\x7f", 5));
  ASSERT_FALSE(binary.ok());
  EXPECT_NE(binary.status().message().find("'gfx\\x01\\x7f'"), std::string::npos);
}

// Runs `command`, returning its exit status and stdout.
int run(const std::string& command, std::string* out) {
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out->append(buffer, n);
  return pclose(pipe);
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The C++ map must expand every selector exactly as the Python generator does.
// One interpreter runs the script's command line (main()) for every selector:
// a process per selector would take minutes on a loaded machine.
TEST(TargetMapTest, AgreesWithPythonForEverySelector) {
  std::string ignored;
  if (run("python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null", &ignored) != 0) {
    GTEST_SKIP() << "python3 (3.11+) is not available; the Python side is tested by tests/build_tools";
  }
  std::vector<std::string> selectors;
  for (const AmdgpuFamily& f : amdgpu_families()) selectors.emplace_back(f.selector);
  for (const AmdgpuCodeObject& c : amdgpu_code_objects()) selectors.emplace_back(c.name);
  for (const AmdgpuProcessor& p : amdgpu_processors()) selectors.emplace_back(p.name);
  for (const AmdgpuUnsupportedProcessor& u : amdgpu_unsupported_processors()) selectors.emplace_back(u.name);
  selectors.emplace_back("gfx1100,gfx90X-all;igpu-all");
  selectors.emplace_back("not-a-target");
  selectors.emplace_back(";");
  // A TheRock target is both a family and a processor: ask once.
  std::set<std::string> unique;
  std::erase_if(selectors, [&unique](const std::string& s) { return !unique.insert(s).second; });

  // Prints, per selector and mode, "=<mode> <selector>", the output lines, then "rc <status>".
  std::string command =
      "python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import target_map\n"
      "for s in sys.argv[2:]:\n"
      "    for mode in (\"--expand-processors\", \"--expand\"):\n"
      "        print(\"=\" + mode, s, flush=True)\n"
      "        print(\"rc\", target_map.main([mode, s]), flush=True)\n' '" +
      std::string(DEVBIN_SOURCE_DIR) + "/build_tools'";
  for (const std::string& selector : selectors) command += " '" + selector + "'";
  command += " 2>/dev/null";
  std::string out;
  ASSERT_EQ(run(command, &out), 0) << command;

  std::map<std::string, std::vector<std::string>> output;  // "<mode> <selector>" -> lines, last one "rc N"
  std::string key;
  for (const std::string& line : lines(out)) {
    if (line.starts_with("=")) {
      key = line.substr(1);
    } else {
      output[key].push_back(line);
    }
  }

  for (const std::string& selector : selectors) {
    SCOPED_TRACE(selector);
    std::vector<std::string> processors_out = output["--expand-processors " + selector];
    std::vector<std::string> code_objects_out = output["--expand " + selector];
    ASSERT_FALSE(processors_out.empty());
    ASSERT_FALSE(code_objects_out.empty());
    const std::string processors_rc = processors_out.back();
    const std::string code_objects_rc = code_objects_out.back();
    processors_out.pop_back();
    code_objects_out.pop_back();

    auto expanded = expand_amdgpu_targets(selector);
    EXPECT_EQ(processors_rc, expanded.ok() ? "rc 0" : "rc 1");
    EXPECT_EQ(code_objects_rc, expanded.ok() ? "rc 0" : "rc 1");
    if (!expanded.ok()) continue;
    EXPECT_EQ(to_strings(*expanded), processors_out);
    std::set<std::string_view> needed;
    for (std::string_view p : *expanded) needed.insert(find_amdgpu_processor(p)->code_object);
    std::vector<std::string> code_objects;
    for (const AmdgpuCodeObject& c : amdgpu_code_objects()) {
      if (needed.count(c.name)) code_objects.emplace_back(c.name);
    }
    EXPECT_EQ(code_objects, code_objects_out);
  }
}

}  // namespace
}  // namespace devbin
