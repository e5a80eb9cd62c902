# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Offline stand-in for @rules_cc//cc:defs.bzl: Bazel 4's native C++ rules.

Bazel 4.2's own @bazel_tools loads these names from @rules_cc; the real
rules_cc would be downloaded, and Debian's bazel-rules-cc is a newer one that
needs use_cpp_toolchain(), which Bazel 4 lacks. Every name just forwards.
"""

def cc_binary(**kwargs):
    native.cc_binary(**kwargs)

def cc_import(**kwargs):
    native.cc_import(**kwargs)

def cc_library(**kwargs):
    native.cc_library(**kwargs)

def cc_proto_library(**kwargs):
    native.cc_proto_library(**kwargs)

def cc_test(**kwargs):
    native.cc_test(**kwargs)

def cc_toolchain(**kwargs):
    native.cc_toolchain(**kwargs)

def cc_toolchain_suite(**kwargs):
    native.cc_toolchain_suite(**kwargs)

def fdo_prefetch_hints(**kwargs):
    native.fdo_prefetch_hints(**kwargs)

def fdo_profile(**kwargs):
    native.fdo_profile(**kwargs)

def objc_import(**kwargs):
    native.objc_import(**kwargs)

def objc_library(**kwargs):
    native.objc_library(**kwargs)
