# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Compile options and test macros shared by devbin's BUILD files.

They mirror the CMake build: C++20, our own code built with -Wall -Wextra
(DEVBIN_WARNING_FLAGS) and -Werror under --config=werror (DEVBIN_WERROR), and the private include roots the CMake targets add
(the project root for "device/abi.h"; the runtime's private headers come only
through //runtime:white_box, its internal library through //runtime:internal).
"""

DEVBIN_WARNING_FLAGS = ["-Wall", "-Wextra"]

def devbin_root():
    """The project root as the compiler sees it: "." here, external/<name> when devbin is a dependency."""
    repository = native.repository_name()
    return "." if repository == "@" else "external/" + repository[1:]

def devbin_copts():
    """C++ options of devbin's own code."""
    root = devbin_root()
    return ["-std=c++20"] + DEVBIN_WARNING_FLAGS + ["-I" + root] + select({
        str(Label("//build_tools/bazel:werror")): ["-Werror"],
        "//conditions:default": [],
    })

def devbin_c_copts():
    """C options of devbin's own code: C11 with GNU extensions, as CMake's C_STANDARD 11."""
    return ["-std=gnu11"] + DEVBIN_WARNING_FLAGS + ["-I" + devbin_root()]

def devbin_cc_test(name, srcs, deps = [], copts = [], **kwargs):
    """A GoogleTest binary linked with the runtime, like tests/CMakeLists.txt's devbin_add_test()."""
    native.cc_test(
        name = name,
        srcs = srcs,
        copts = devbin_copts() + copts,
        deps = deps + [
            "//runtime:devbin_runtime",
            "//runtime:white_box",
            "@gtest//:gtest_main",
        ],
        **kwargs
    )
