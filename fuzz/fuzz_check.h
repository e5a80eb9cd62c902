// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
// Property checks inside fuzz targets. A failed check is a finding: it prints
// what broke and aborts, which libFuzzer reports as a crash with the input
// saved. (Only harnesses abort; the library never does.)
#ifndef DEVBIN_FUZZ_FUZZ_CHECK_H_
#define DEVBIN_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "devbin/status.h"

#define DEVBIN_FUZZ_CHECK(cond, what)                                                         \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                                \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace devbin::fuzz {

// Every error must explain itself: a code that is not OK and a message.
inline void check_error(const Status& status) {
  DEVBIN_FUZZ_CHECK(status.code() != StatusCode::kOk, "an error Status with code OK");
  DEVBIN_FUZZ_CHECK(!status.message().empty(), "an error without a message: " + status.to_string());
  DEVBIN_FUZZ_CHECK(status.code() != StatusCode::kInternal, "an internal error on bad input: " + status.to_string());
}

template <typename T>
void check_result(const Result<T>& result) {
  if (!result.ok()) check_error(result.status());
}

}  // namespace devbin::fuzz

#endif  // DEVBIN_FUZZ_FUZZ_CHECK_H_
