# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""Offline stand-in for @rules_java//java:defs.bzl: Bazel 4's native Java rules.

devbin has no Java; @bazel_tools//tools/jdk still loads these names while
Bazel registers its default toolchains, so they must resolve without a
download. Every name just forwards.
"""

def java_binary(**kwargs):
    native.java_binary(**kwargs)

def java_import(**kwargs):
    native.java_import(**kwargs)

def java_library(**kwargs):
    native.java_library(**kwargs)

def java_plugin(**kwargs):
    native.java_plugin(**kwargs)

def java_proto_library(**kwargs):
    native.java_proto_library(**kwargs)

def java_runtime(**kwargs):
    native.java_runtime(**kwargs)

def java_test(**kwargs):
    native.java_test(**kwargs)

def java_toolchain(**kwargs):
    native.java_toolchain(**kwargs)
