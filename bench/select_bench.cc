// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// How long selection takes for one device: parse the ISA name, walk the map
// and the embedded TOC, build the reason. The bar: median <= 200 ns.
#include <benchmark/benchmark.h>

#include "devbin/select.h"
#include "devbin/toc.h"

namespace {

void select_isa(benchmark::State& state, const char* isa) {
  const devbin::Toc& toc = devbin::embedded_toc();
  for (auto _ : state) {
    devbin::Result<devbin::Selection> selection = devbin::select(isa, toc);
    if (!selection.ok()) {
      state.SkipWithError(selection.status().to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(selection);
  }
}

// An HSA agent's ISA name served by a generic code object, and by an exact one.
BENCHMARK_CAPTURE(select_isa, hsa_gfx942_generic, "amdgcn-amd-amdhsa--gfx942:sramecc+:xnack-");
BENCHMARK_CAPTURE(select_isa, hsa_gfx90a_exact, "amdgcn-amd-amdhsa--gfx90a:sramecc+:xnack-");
BENCHMARK_CAPTURE(select_isa, hsa_gfx1151_generic, "amdgcn-amd-amdhsa--gfx1151");
// NVIDIA: an exact cubin, a same-major cubin, and the PTX fallback.
BENCHMARK_CAPTURE(select_isa, sm_90_exact, "sm_90");
BENCHMARK_CAPTURE(select_isa, sm_87_compatible, "sm_87");
BENCHMARK_CAPTURE(select_isa, sm_110_ptx_jit, "sm_110");

}  // namespace

BENCHMARK_MAIN();
