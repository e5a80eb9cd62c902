# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Embedding code objects into the runtime library, with a table of contents.
#
# devbin_generate_toc_source(OUTPUT <file.cc> BUILD_MODE <mode> FILES <files...> [DEPENDS <targets/files...>])
# writes, at build time, a C++ source that defines devbin::embedded_toc(): each
# file as a 64-byte aligned byte array (so ELF readers and loaders can use the
# bytes in place), its name and its SHA-256. It needs nothing but CMake: no xxd,
# no Python, no assembler tricks.
set(DEVBIN_EMBED_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/devbin_embed_files.cmake" CACHE INTERNAL "")

function(devbin_generate_toc_source)
  cmake_parse_arguments(ARG "" "OUTPUT;BUILD_MODE" "FILES;DEPENDS" ${ARGN})
  if(NOT ARG_OUTPUT OR NOT ARG_BUILD_MODE)
    message(FATAL_ERROR "devbin_generate_toc_source: OUTPUT and BUILD_MODE are required")
  endif()
  # The file list travels through a file, not the command line, so any number
  # of code objects (and paths with ';') fit.
  set(list_file "${ARG_OUTPUT}.files")
  string(REPLACE ";" "\n" lines "${ARG_FILES}")
  file(GENERATE OUTPUT "${list_file}" CONTENT "${lines}\n")
  add_custom_command(
    OUTPUT "${ARG_OUTPUT}"
    COMMAND "${CMAKE_COMMAND}" "-DOUTPUT=${ARG_OUTPUT}" "-DLIST_FILE=${list_file}"
            "-DBUILD_MODE=${ARG_BUILD_MODE}" -P "${DEVBIN_EMBED_SCRIPT}"
    DEPENDS ${ARG_FILES} ${ARG_DEPENDS} "${DEVBIN_EMBED_SCRIPT}" "${list_file}"
    COMMENT "Embedding ${ARG_BUILD_MODE} device code objects"
    VERBATIM)
endfunction()
