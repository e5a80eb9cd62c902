// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Stands in for a library that is not an HSA runtime (or a partial one): two
// of the entry points devbin resolves, nothing else. The runtime test points
// DEVBIN_HSA_RUNTIME_PATH at it.
__attribute__((visibility("default"))) int hsa_init(void) { return 0; }

__attribute__((visibility("default"))) int hsa_status_string(int status, const char** text) {
  (void)status;
  *text = "partial";
  return 0;
}
