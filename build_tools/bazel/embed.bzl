# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
"""devbin_toc_source: the C++ source that embeds the device code objects.

It runs cmake/devbin_embed_files.cmake, the script the CMake build runs, so
both builds generate the same bytes by construction (each file as a 64-byte
aligned array with its name, size and SHA-256, and the build mode). The cost
is CMake at build time; a second generator would have to copy the format and
name the CMake script in its header, or differ from it.
"""

def _devbin_toc_source_impl(ctx):
    out = ctx.actions.declare_file(ctx.attr.out)
    list_file = ctx.actions.declare_file(ctx.attr.out + ".files")
    files = ctx.files.srcs

    # The script sorts the paths; every input sits in one directory, so that
    # is the order of the names, as in the CMake build.
    ctx.actions.write(list_file, "".join([f.path + "\n" for f in files]))
    ctx.actions.run_shell(
        inputs = files + [list_file, ctx.file._script],
        outputs = [out],
        command = 'cmake "$@"',
        arguments = [
            "-DOUTPUT=" + out.path,
            "-DLIST_FILE=" + list_file.path,
            "-DBUILD_MODE=" + ctx.attr.build_mode,
            "-P",
            ctx.file._script.path,
        ],
        use_default_shell_env = True,
        mnemonic = "DevbinEmbed",
        progress_message = "Embedding %d %s device code object(s) into %s" % (
            len(files),
            ctx.attr.build_mode,
            out.short_path,
        ),
    )
    return [DefaultInfo(files = depset([out]))]

devbin_toc_source = rule(
    implementation = _devbin_toc_source_impl,
    doc = "Generates <out>, defining devbin::embedded_toc() over `srcs`.",
    attrs = {
        "srcs": attr.label_list(allow_files = True, doc = "The code objects to embed."),
        "build_mode": attr.string(mandatory = True, values = ["prebuilt", "source"]),
        "out": attr.string(mandatory = True),
        "_script": attr.label(
            default = Label("//cmake:devbin_embed_files.cmake"),
            allow_single_file = True,
        ),
    },
)
