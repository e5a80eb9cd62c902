# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""The Bazel source mode: device code objects built from device/*.c.

    bazel build --config=amdgpu_device_binaries_source_llvm //device/binaries:toc
    bazel build --config=amdgpu_device_binaries_source_rocm \
        --repo_env=DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH=/opt/rocm //device/binaries:toc

The configs (.bazelrc) set --define=devbin_device_binary_build_mode=source and
--define=devbin_amdgpu_toolchain=llvm|rocm, the names of the CMake options.
The same choices as CMake's cache variables, as defines:
    --define=devbin_amdgpu_targets=<selectors>   DEVBIN_AMDGPU_TARGETS (default all)
    --define=devbin_nvidia_targets=<targets>     DEVBIN_NVIDIA_TARGETS (default all)
and, read by the toolchain repository rule:
    --repo_env=DEVBIN_LLVM_PATH=<dir>            DEVBIN_LLVM_PATH (default: newest clang-NN on PATH)
    --repo_env=DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH
    --repo_env=DEVBIN_CUDA_TOOLKIT_PATH=<dir>    DEVBIN_CUDA_TOOLKIT_PATH (default /usr/local/cuda)

Flags come from build_tools/device_flags.json (which build_tools/device_binaries.py
and cmake/DevbinDeviceSource.cmake read too), targets from
device/binaries/target_map.bzl: all three make the same bytes under the same
names. The repository holding a toolchain is fetched only in the source mode,
so the prebuilt build runs no LLVM, ROCm or CUDA tool, not even --version.
"""

load(
    "//device/binaries:target_map.bzl",
    "AMDGPU_CODE_OBJECTS",
    "NVIDIA_PTX_TARGETS",
    "NVIDIA_SASS_TARGETS",
    "amdgpu_code_objects_for",
    "expand_amdgpu_targets",
)

DevbinDeviceToolchainInfo = provider(
    doc = "The LLVM (and ptxas) that builds the device code objects, and the flags to use.",
    fields = {
        "kind": "llvm or rocm",
        "clang": "path of clang",
        "lld": "path of ld.lld",
        "objcopy": "path of llvm-objcopy",
        "llvm_major": "clang's major version",
        "nvptx_cpus": "the sm_XX clang knows",
        "ptxas": "path of ptxas, or '' when there is none",
        "cuda_path": "where ptxas was looked for",
        "flags": "build_tools/device_flags.json, decoded",
    },
)

#===------------------------------------------------------------------------===#
# The toolchain repositories (@devbin_amdgpu_llvm, @devbin_amdgpu_rocm)
#===------------------------------------------------------------------------===#

def _exists(rctx, path):
    return rctx.path(path).exists

def _find_llvm(rctx):
    """[clang, ld.lld, llvm-objcopy] and an error ('' if found), as CMake's _devbin_find_llvm()."""
    env = rctx.os.environ
    if rctx.attr.kind == "rocm":
        root = env.get("DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH", "")
        if not root:
            return None, ("--config=amdgpu_device_binaries_source_rocm needs " +
                          "--repo_env=DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH=/path/to/rocm " +
                          "(the ROCm install holding llvm/bin/clang)")
        tools = []
        for tool in ["clang", "ld.lld", "llvm-objcopy"]:
            path = root.rstrip("/") + "/llvm/bin/" + tool
            if not _exists(rctx, path):
                return None, "DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH=%s has no llvm/bin/%s" % (root, tool)
            tools.append(path)
        return tools, ""

    # Debian installs clang-NN next to other LLVMs' plain `clang`: the newest
    # versioned name wins on PATH, a named directory may hold either style.
    versioned = ["clang-%d" % major for major in range(40, 18, -1)]
    llvm_path = env.get("DEVBIN_LLVM_PATH", "")
    clang = None
    if llvm_path:
        where = "DEVBIN_LLVM_PATH=" + llvm_path
        for name in ["clang"] + versioned:
            if _exists(rctx, llvm_path + "/" + name):
                clang = llvm_path.rstrip("/") + "/" + name
                break
    else:
        where = "PATH (pass --repo_env=DEVBIN_LLVM_PATH=<dir> to choose one)"
        for name in versioned + ["clang"]:
            found = rctx.which(name)
            if found:
                clang = str(found)
                break
    if not clang:
        return None, "no clang (or clang-NN) in " + where
    directory, _, name = clang.rpartition("/")
    suffix = name[len("clang"):]
    tools = [clang]
    for tool in ["ld.lld", "llvm-objcopy"]:
        candidates = [directory + "/" + n for n in [tool + suffix, tool] if _exists(rctx, directory + "/" + n)]
        if not candidates:
            return None, "no %s next to the clang in %s" % (tool, directory)
        tools.append(candidates[0])
    return tools, ""

def _llvm_major(text):
    """N of the first 'clang version N.' in `text`, or None."""
    start = text.find("clang version ")
    if start < 0:
        return None
    rest = text[start + len("clang version "):]
    digits = ""
    for c in rest.elems():
        if not c.isdigit():
            break
        digits += c
    if not digits or not rest[len(digits):].startswith("."):
        return None
    return int(digits)

def _devbin_amdgpu_toolchain_impl(rctx):
    flags_text = rctx.read(rctx.attr.flags)
    flags = json.decode(flags_text)
    header = "# Generated by @devbin//build_tools/bazel:device_code_objects.bzl (the %s toolchain).\n" % rctx.attr.kind
    tools, error = _find_llvm(rctx)
    if error:
        # Reported when a source-mode build analyses this target, not when the
        # repository is fetched, so `bazel query` and the prebuilt mode never trip on it.
        rctx.file("BUILD.bazel", header + """load("@devbin//build_tools/bazel:device_code_objects.bzl", "devbin_device_toolchain_error")

devbin_device_toolchain_error(
    name = "toolchain",
    error = {error},
    visibility = ["//visibility:public"],
)
""".format(error = repr("devbin: " + error)))
        return
    clang, lld, objcopy = tools
    version = rctx.execute([clang, "--version"])
    major = _llvm_major(version.stdout)
    if version.return_code != 0 or major == None:
        fail("devbin: '%s --version' printed no 'clang version N.'; found: %s" %
             (clang, (version.stdout + version.stderr).strip()[:200]))
    cpus_result = rctx.execute([clang, "--target=" + flags["nvptx"]["triple"], "--print-supported-cpus"])
    cpus = []
    for line in (cpus_result.stdout + "\n" + cpus_result.stderr).split("\n"):
        word = line.strip()
        if word.startswith("sm_") and " " not in word:
            cpus.append(word)
    cuda_path = rctx.os.environ.get("DEVBIN_CUDA_TOOLKIT_PATH", "/usr/local/cuda")
    ptxas = cuda_path.rstrip("/") + "/bin/ptxas"
    rctx.file("BUILD.bazel", header + """load("@devbin//build_tools/bazel:device_code_objects.bzl", "devbin_device_toolchain")

devbin_device_toolchain(
    name = "toolchain",
    kind = {kind},
    clang = {clang},
    lld = {lld},
    objcopy = {objcopy},
    llvm_major = {major},
    nvptx_cpus = {cpus},
    ptxas = {ptxas},
    cuda_path = {cuda_path},
    flags_json = {flags},
    visibility = ["//visibility:public"],
)
""".format(
        kind = repr(rctx.attr.kind),
        clang = repr(clang),
        lld = repr(lld),
        objcopy = repr(objcopy),
        major = major,
        cpus = repr(cpus),
        ptxas = repr(ptxas if _exists(rctx, ptxas) else ""),
        cuda_path = repr(cuda_path),
        flags = repr(json.encode(flags)),
    ))

devbin_amdgpu_toolchain = repository_rule(
    implementation = _devbin_amdgpu_toolchain_impl,
    doc = "Finds the LLVM of one DEVBIN_AMDGPU_TOOLCHAIN (llvm or rocm) and ptxas; reads the device flags.",
    attrs = {
        "kind": attr.string(mandatory = True, values = ["llvm", "rocm"]),
        "flags": attr.label(default = Label("//build_tools:device_flags.json"), allow_single_file = True),
    },
    environ = ["PATH", "DEVBIN_LLVM_PATH", "DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH", "DEVBIN_CUDA_TOOLKIT_PATH"],
    # `bazel sync --configure` looks again (e.g. after installing another LLVM).
    configure = True,
)

def _devbin_device_toolchain_impl(ctx):
    return [DevbinDeviceToolchainInfo(
        kind = ctx.attr.kind,
        clang = ctx.attr.clang,
        lld = ctx.attr.lld,
        objcopy = ctx.attr.objcopy,
        llvm_major = ctx.attr.llvm_major,
        nvptx_cpus = ctx.attr.nvptx_cpus,
        ptxas = ctx.attr.ptxas,
        cuda_path = ctx.attr.cuda_path,
        flags = json.decode(ctx.attr.flags_json),
    )]

devbin_device_toolchain = rule(
    implementation = _devbin_device_toolchain_impl,
    attrs = {
        "kind": attr.string(),
        "clang": attr.string(),
        "lld": attr.string(),
        "objcopy": attr.string(),
        "llvm_major": attr.int(),
        "nvptx_cpus": attr.string_list(),
        "ptxas": attr.string(),
        "cuda_path": attr.string(),
        "flags_json": attr.string(),
    },
)

def _devbin_device_toolchain_error_impl(ctx):
    fail(ctx.attr.error)

devbin_device_toolchain_error = rule(
    implementation = _devbin_device_toolchain_error_impl,
    attrs = {"error": attr.string()},
)

#===------------------------------------------------------------------------===#
# The code objects
#===------------------------------------------------------------------------===#

def _substitute(args, values):
    out = []
    for arg in args:
        for name, value in values.items():
            arg = arg.replace("{" + name + "}", value)
        out.append(arg)
    return out

def _words(text):
    return [w.strip() for w in text.replace(",", ";").split(";") if w.strip()]

def _selected_targets(ctx):
    """(AMDGPU code objects, SASS targets, PTX targets, whole set?), in map order."""
    amdgpu_text = ctx.var.get("devbin_amdgpu_targets", "all")
    code_objects = []
    if _words(amdgpu_text):
        code_objects = amdgpu_code_objects_for(expand_amdgpu_targets(amdgpu_text))
    known = NVIDIA_SASS_TARGETS + NVIDIA_PTX_TARGETS
    wanted = _words(ctx.var.get("devbin_nvidia_targets", ";".join(known)))
    unknown = [w for w in wanted if w not in known]
    if unknown:
        fail("devbin: --define=devbin_nvidia_targets names %s; the target map has %s" %
             (", ".join(unknown), ", ".join(known)))
    sass = [t for t in NVIDIA_SASS_TARGETS if t in wanted]
    ptx = [t for t in NVIDIA_PTX_TARGETS if t in wanted]
    if not code_objects and not sass and not ptx:
        fail("devbin: the source mode has nothing to build: --define=devbin_amdgpu_targets and " +
             "--define=devbin_nvidia_targets are both empty")
    whole = (len(code_objects) == len(AMDGPU_CODE_OBJECTS) and len(sass) == len(NVIDIA_SASS_TARGETS) and
             len(ptx) == len(NVIDIA_PTX_TARGETS))
    return code_objects, sass, ptx, whole

def _check_toolchain(tc, code_objects, nvidia):
    too_old = ["%s needs LLVM %d" % (c, AMDGPU_CODE_OBJECTS[c]["min_llvm_major"])
               for c in code_objects if tc.llvm_major < AMDGPU_CODE_OBJECTS[c]["min_llvm_major"]]
    if too_old:
        fail(("devbin: %s is LLVM %d, too old: %s or newer. Use a newer LLVM/ROCm " +
              "(--repo_env=DEVBIN_LLVM_PATH, DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH) or leave these out " +
              "with --define=devbin_amdgpu_targets=...") % (tc.clang, tc.llvm_major, ", ".join(too_old)))
    pinned = tc.flags["nvptx"]["ptx_isa"]
    sms = [t.replace("compute_", "sm_", 1) for t in nvidia]
    unpinned = [sm for sm in sms if sm not in pinned]
    if unpinned:
        fail("devbin: no PTX ISA pinned for %s: add the lowest +ptxNN clang accepts to nvptx.ptx_isa " %
             ", ".join(unpinned) + "in build_tools/device_flags.json")
    unknown = [sm for sm in sms if sm not in tc.nvptx_cpus]
    if unknown:
        fail("devbin: %s (LLVM %d) does not know %s: use a newer LLVM, or leave them out with " %
             (tc.clang, tc.llvm_major, ", ".join(unknown)) + "--define=devbin_nvidia_targets=...")

def _compile_step(ctx, executable, arguments, inputs, output, what):
    ctx.actions.run(
        executable = executable,
        arguments = arguments,
        inputs = inputs,
        outputs = [output],
        mnemonic = "DevbinDeviceCode",
        progress_message = what,
    )

def _devbin_device_code_objects_impl(ctx):
    if not ctx.attr.toolchain:
        fail("devbin: device code objects are built in the source mode only: " +
             "--config=amdgpu_device_binaries_source_llvm or _rocm")
    tc = ctx.attr.toolchain[DevbinDeviceToolchainInfo]
    flags = tc.flags
    code_objects, sass, ptx, whole = _selected_targets(ctx)
    _check_toolchain(tc, code_objects, sass + ptx)
    if sass and not tc.ptxas:
        fail(("devbin: no ptxas at %s/bin/ptxas for the NVIDIA cubins (%s): pass " +
              "--repo_env=DEVBIN_CUDA_TOOLKIT_PATH=<dir>, or --define=devbin_nvidia_targets= (empty) " +
              "to build none") % (tc.cuda_path, ", ".join(sass)))

    # Every target compiles the sorted sources as one translation unit.
    by_path = {f.path: f for f in ctx.files.srcs}
    sources = [by_path[path] for path in sorted(by_path)]
    if not sources:
        fail("devbin: no device sources: device/*.c matches nothing")
    unit = []
    for source in sources[1:]:
        unit += ["-include", source.path]
    unit.append(sources[0].path)
    inputs = sources + ctx.files.hdrs
    work = ctx.label.name + ".work/"
    outputs = []

    if code_objects:
        amdgpu = flags["amdgpu"]
        version_script = ctx.actions.declare_file(work + "kernels.map")
        ctx.actions.write(version_script, "".join([line + "\n" for line in amdgpu["version_script"]]))
        lld_flags = _substitute(amdgpu["lld"], {"version_script": version_script.path})
        for code_object in code_objects:
            name = "%s--%s.so" % (amdgpu["triple"], code_object)
            obj = ctx.actions.declare_file(work + code_object + "/device.o")
            linked = ctx.actions.declare_file(work + code_object + "/linked.so")
            final = ctx.actions.declare_file(ctx.label.name + "/" + name)
            _compile_step(ctx, tc.clang, _substitute(amdgpu["clang"], {"target": code_object}) +
                                   ["-c", "-o", obj.path] + unit, inputs, obj,
                         "Compiling AMDGPU code object " + name)
            _compile_step(ctx, tc.lld, lld_flags + [obj.path, "-o", linked.path], [obj, version_script], linked,
                         "Linking AMDGPU code object " + name)
            _compile_step(ctx, tc.objcopy, amdgpu["objcopy"] + [linked.path, final.path], [linked], final,
                         "Stripping AMDGPU code object " + name)
            outputs.append(final)

    nvptx = flags["nvptx"]
    for target in sass + ptx:
        sm = target.replace("compute_", "sm_", 1)
        clang_flags = _substitute(nvptx["clang"], {"target": sm, "ptx_isa": str(nvptx["ptx_isa"][sm])})
        if target in ptx:
            final = ctx.actions.declare_file("%s/%s--%s.ptx" % (ctx.label.name, nvptx["triple"], target))
            _compile_step(ctx, tc.clang, clang_flags + ["-S", "-o", final.path] + unit, inputs, final,
                         "Compiling NVIDIA PTX " + final.basename)
        else:
            ptx_file = ctx.actions.declare_file(work + target + "/device.ptx")
            final = ctx.actions.declare_file("%s/%s--%s.cubin" % (ctx.label.name, nvptx["triple"], target))
            _compile_step(ctx, tc.clang, clang_flags + ["-S", "-o", ptx_file.path] + unit, inputs, ptx_file,
                         "Compiling NVIDIA PTX for " + final.basename)
            _compile_step(ctx, tc.ptxas, _substitute(nvptx["ptxas"], {"target": sm}) + [ptx_file.path, "-o", final.path],
                         [ptx_file], final, "Assembling NVIDIA cubin " + final.basename)
        outputs.append(final)

    # For the comparison with the checked-in set: only a build of every target
    # of the map must match it name for name.
    manifest = ctx.actions.declare_file(ctx.label.name + ".manifest")
    ctx.actions.write(manifest, "whole_set=%d\n%s" % (1 if whole else 0, "".join([o.basename + "\n" for o in outputs])))
    return [
        DefaultInfo(files = depset(outputs), runfiles = ctx.runfiles(files = outputs)),
        OutputGroupInfo(manifest = depset([manifest])),
    ]

devbin_device_code_objects = rule(
    implementation = _devbin_device_code_objects_impl,
    doc = "The device code objects of the selected targets, built from `srcs` with `toolchain`.",
    attrs = {
        "srcs": attr.label_list(allow_files = [".c"], doc = "device/*.c"),
        "hdrs": attr.label_list(allow_files = [".h"], doc = "the headers they include"),
        # None outside the source mode, where the target is incompatible.
        "toolchain": attr.label(providers = [DevbinDeviceToolchainInfo]),
    },
)
