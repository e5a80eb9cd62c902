// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// A shared library that is not a CUDA driver: DEVBIN_CUDA_DRIVER_PATH pointed
// at it must give "lacks every driver entry point", not a crash.
int devbin_test_not_a_driver(void) { return 0; }
