# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# The source mode (DEVBIN_DEVICE_BINARY_BUILD_MODE=source): builds the device
# code objects from device/*.c at build time instead of embedding
# device/binaries/prebuilt/. Needs no Python: the targets come from
# device/binaries/target_map.cmake (include it first) and the flags from
# build_tools/device_flags.json, the file build_tools/device_binaries.py reads
# too, so both make the same bytes under the same names.
#
# devbin_build_device_binaries(<out_files_var> <out_targets_var>)
#   <out_files_var>    the code objects, in the build tree
#   <out_targets_var>  the custom target that builds them
#
# Cache variables:
#   DEVBIN_AMDGPU_TOOLCHAIN             llvm (clang, ld.lld, llvm-objcopy from DEVBIN_LLVM_PATH or PATH)
#                                       or rocm (<DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH>/llvm/bin)
#   DEVBIN_AMDGPU_TARGETS               processors, code objects or family selectors ('all'; empty: none)
#   DEVBIN_NVIDIA_TARGETS               NVIDIA targets of the map ('all'; empty: none)
#   DEVBIN_CUDA_TOOLKIT_PATH            where bin/ptxas is (for sm_XX cubins)
include_guard(GLOBAL)

set(DEVBIN_DEVICE_FLAGS_FILE "${CMAKE_CURRENT_LIST_DIR}/../build_tools/device_flags.json")
cmake_path(NORMAL_PATH DEVBIN_DEVICE_FLAGS_FILE)

# The JSON array at <path...> of <json>, as a CMake list. Flags never hold ';'.
function(_devbin_json_list out json)
  string(JSON count LENGTH "${json}" ${ARGN})
  set(items "")
  if(count GREATER 0)
    math(EXPR last "${count} - 1")
    foreach(index RANGE ${last})
      string(JSON item GET "${json}" ${ARGN} ${index})
      list(APPEND items "${item}")
    endforeach()
  endif()
  set(${out} "${items}" PARENT_SCOPE)
endfunction()

# <out> = <flags> with {name} placeholders replaced: pairs of name value.
function(_devbin_substitute out flags)
  set(pairs ${ARGN})
  set(result "")
  foreach(flag IN LISTS flags)
    set(rest ${pairs})
    while(rest)
      list(POP_FRONT rest name value)
      string(REPLACE "{${name}}" "${value}" flag "${flag}")
    endwhile()
    list(APPEND result "${flag}")
  endforeach()
  set(${out} "${result}" PARENT_SCOPE)
endfunction()

# <out> = <tool> in <dir>: <tool><suffix> (clang-22's ld.lld-22), else <tool>.
function(_devbin_tool_next_to out dir tool suffix)
  foreach(name IN ITEMS "${tool}${suffix}" "${tool}")
    if(EXISTS "${dir}/${name}" AND NOT IS_DIRECTORY "${dir}/${name}")
      set(${out} "${dir}/${name}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "devbin: no ${tool} next to the clang in ${dir}")
endfunction()

# Sets <prefix>_CLANG, _LLD, _OBJCOPY, _LLVM_MAJOR in the caller.
function(_devbin_find_llvm prefix)
  if(DEVBIN_AMDGPU_TOOLCHAIN STREQUAL "rocm")
    if(NOT DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH)
      message(FATAL_ERROR "devbin: DEVBIN_AMDGPU_TOOLCHAIN=rocm needs DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH "
                          "(the ROCm install holding llvm/bin/clang)")
    endif()
    set(dir "${DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH}/llvm/bin")
    foreach(tool IN ITEMS clang ld.lld llvm-objcopy)
      if(NOT EXISTS "${dir}/${tool}")
        message(FATAL_ERROR "devbin: DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH=${DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH} "
                            "has no llvm/bin/${tool}")
      endif()
    endforeach()
    set(clang "${dir}/clang")
    set(lld "${dir}/ld.lld")
    set(objcopy "${dir}/llvm-objcopy")
  elseif(DEVBIN_AMDGPU_TOOLCHAIN STREQUAL "llvm")
    # Debian installs clang-NN next to other LLVMs' plain `clang`: the newest
    # versioned name wins on PATH, a named directory may hold either style.
    set(names "")
    foreach(major RANGE 19 40)
      list(PREPEND names "clang-${major}")
    endforeach()
    if(DEVBIN_LLVM_PATH)
      find_program(clang NAMES clang ${names} PATHS "${DEVBIN_LLVM_PATH}" NO_DEFAULT_PATH NO_CACHE)
      set(where "DEVBIN_LLVM_PATH=${DEVBIN_LLVM_PATH}")
    else()
      find_program(clang NAMES ${names} clang NO_CACHE)
      set(where "PATH (set DEVBIN_LLVM_PATH to choose one)")
    endif()
    if(NOT clang)
      message(FATAL_ERROR "devbin: no clang (or clang-NN) in ${where}")
    endif()
    get_filename_component(dir "${clang}" DIRECTORY)
    get_filename_component(name "${clang}" NAME)
    string(REGEX REPLACE "^clang" "" suffix "${name}")
    _devbin_tool_next_to(lld "${dir}" ld.lld "${suffix}")
    _devbin_tool_next_to(objcopy "${dir}" llvm-objcopy "${suffix}")
  else()
    message(FATAL_ERROR "devbin: DEVBIN_AMDGPU_TOOLCHAIN is '${DEVBIN_AMDGPU_TOOLCHAIN}'; expected 'llvm' or 'rocm'")
  endif()

  execute_process(COMMAND "${clang}" --version OUTPUT_VARIABLE version_text ERROR_VARIABLE version_error
                  RESULT_VARIABLE result)
  if(NOT result EQUAL 0 OR NOT version_text MATCHES "clang version ([0-9]+)\\.")
    message(FATAL_ERROR "devbin: '${clang} --version' printed no 'clang version N.'; found: ${version_text}${version_error}")
  endif()
  set(${prefix}_CLANG "${clang}" PARENT_SCOPE)
  set(${prefix}_LLD "${lld}" PARENT_SCOPE)
  set(${prefix}_OBJCOPY "${objcopy}" PARENT_SCOPE)
  set(${prefix}_LLVM_MAJOR "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

function(devbin_build_device_binaries out_files out_targets)
  set(DEVBIN_AMDGPU_TOOLCHAIN "llvm" CACHE STRING
      "Which LLVM builds the device code objects (source mode): llvm (DEVBIN_LLVM_PATH or PATH) or rocm")
  set_property(CACHE DEVBIN_AMDGPU_TOOLCHAIN PROPERTY STRINGS llvm rocm)
  set(DEVBIN_LLVM_PATH "" CACHE PATH "Directory holding clang (or clang-NN), ld.lld and llvm-objcopy")
  set(DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH "" CACHE PATH "ROCm install for DEVBIN_AMDGPU_TOOLCHAIN=rocm")
  set(DEVBIN_AMDGPU_TARGETS "all" CACHE STRING
      "AMDGPU processors, code objects or family selectors to build (';' or ','); empty for none")
  # 'all' rather than today's list, so a cache follows the map when it grows.
  set(DEVBIN_NVIDIA_TARGETS "all" CACHE STRING
      "NVIDIA targets to build (sm_XX cubins, compute_XX PTX of the target map, or all); empty for none")
  set(DEVBIN_CUDA_TOOLKIT_PATH "/usr/local/cuda" CACHE PATH "CUDA toolkit whose bin/ptxas assembles the cubins")

  file(READ "${DEVBIN_DEVICE_FLAGS_FILE}" flags_json)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${DEVBIN_DEVICE_FLAGS_FILE}")

  # What to build.
  string(REPLACE "," ";" amdgpu_words "${DEVBIN_AMDGPU_TARGETS}")
  set(any_amdgpu FALSE)
  foreach(word IN LISTS amdgpu_words)
    string(STRIP "${word}" word)
    if(NOT word STREQUAL "")
      set(any_amdgpu TRUE)
    endif()
  endforeach()
  set(code_objects "")
  if(any_amdgpu)
    devbin_expand_amdgpu_targets(code_objects processors "${DEVBIN_AMDGPU_TARGETS}")
  endif()
  string(REPLACE "," ";" nvidia_targets "${DEVBIN_NVIDIA_TARGETS}")
  set(nvidia_wanted "")
  foreach(word IN LISTS nvidia_targets)
    string(STRIP "${word}" word)
    if(word STREQUAL "")
      continue()
    elseif(word STREQUAL "all")
      list(APPEND nvidia_wanted ${DEVBIN_NVIDIA_SASS_TARGETS} ${DEVBIN_NVIDIA_PTX_TARGETS})
      continue()
    endif()
    if(NOT word IN_LIST DEVBIN_NVIDIA_SASS_TARGETS AND NOT word IN_LIST DEVBIN_NVIDIA_PTX_TARGETS)
      message(FATAL_ERROR "devbin: DEVBIN_NVIDIA_TARGETS names '${word}'; the target map has all "
                          "${DEVBIN_NVIDIA_SASS_TARGETS} ${DEVBIN_NVIDIA_PTX_TARGETS}")
    endif()
    list(APPEND nvidia_wanted "${word}")
  endforeach()
  # Map order, like the script.
  devbin_keep_listed(sass_targets "${DEVBIN_NVIDIA_SASS_TARGETS}" "${nvidia_wanted}")
  devbin_keep_listed(ptx_targets "${DEVBIN_NVIDIA_PTX_TARGETS}" "${nvidia_wanted}")
  if(NOT code_objects AND NOT sass_targets AND NOT ptx_targets)
    message(FATAL_ERROR "devbin: the source mode has nothing to build: DEVBIN_AMDGPU_TARGETS and "
                        "DEVBIN_NVIDIA_TARGETS are both empty")
  endif()

  # The toolchain, checked against every target before anything is built.
  _devbin_find_llvm(llvm)
  set(too_old "")
  foreach(code_object IN LISTS code_objects)
    set(minimum "${DEVBIN_AMDGPU_MIN_LLVM_MAJOR_${code_object}}")
    if(llvm_LLVM_MAJOR LESS minimum)
      list(APPEND too_old "${code_object} needs LLVM ${minimum}")
    endif()
  endforeach()
  if(too_old)
    list(JOIN too_old ", " too_old)
    message(FATAL_ERROR "devbin: ${llvm_CLANG} is LLVM ${llvm_LLVM_MAJOR}, too old: ${too_old} or newer. "
                        "Use a newer LLVM/ROCm (DEVBIN_LLVM_PATH, DEVBIN_AMDGPU_TOOLCHAIN_ROCM_PATH) or "
                        "leave these out of DEVBIN_AMDGPU_TARGETS (now '${DEVBIN_AMDGPU_TARGETS}')")
  endif()
  set(ptxas "")
  if(sass_targets OR ptx_targets)
    if(sass_targets)
      set(ptxas "${DEVBIN_CUDA_TOOLKIT_PATH}/bin/ptxas")
      if(NOT EXISTS "${ptxas}")
        message(FATAL_ERROR "devbin: no ptxas at ${ptxas} for the NVIDIA cubins (${sass_targets}): set "
                            "DEVBIN_CUDA_TOOLKIT_PATH, or -DDEVBIN_NVIDIA_TARGETS= (empty) to build none")
      endif()
    endif()
    string(JSON nvptx_triple GET "${flags_json}" nvptx triple)
    execute_process(COMMAND "${llvm_CLANG}" "--target=${nvptx_triple}" --print-supported-cpus
                    OUTPUT_VARIABLE cpu_text ERROR_VARIABLE cpu_text)
    set(unknown "")
    set(unpinned "")
    foreach(target IN LISTS sass_targets ptx_targets)
      string(REGEX REPLACE "^compute_" "sm_" sm "${target}")
      string(JSON isa ERROR_VARIABLE isa_error GET "${flags_json}" nvptx ptx_isa "${sm}")
      if(isa_error)
        list(APPEND unpinned "${sm}")
      endif()
      if(NOT cpu_text MATCHES "[ \t\n]${sm}[ \t\r]*\n")
        list(APPEND unknown "${sm}")
      endif()
    endforeach()
    if(unpinned)
      message(FATAL_ERROR "devbin: no PTX ISA pinned for ${unpinned}: add the lowest +ptxNN clang accepts "
                          "to nvptx.ptx_isa in ${DEVBIN_DEVICE_FLAGS_FILE}")
    endif()
    if(unknown)
      message(FATAL_ERROR "devbin: ${llvm_CLANG} (LLVM ${llvm_LLVM_MAJOR}) does not know ${unknown}: use a "
                          "newer LLVM, or leave them out of DEVBIN_NVIDIA_TARGETS")
    endif()
  endif()

  # Inputs: every target compiles the sorted sources as one translation unit.
  set(device_dir "${PROJECT_SOURCE_DIR}/device")
  file(GLOB sources CONFIGURE_DEPENDS "${device_dir}/*.c")
  file(GLOB headers CONFIGURE_DEPENDS "${device_dir}/*.h" "${device_dir}/target/*.h")
  list(SORT sources)
  if(NOT sources)
    message(FATAL_ERROR "devbin: no device sources: ${device_dir}/*.c matches nothing")
  endif()
  list(POP_FRONT sources first_source)
  set(unit "")
  foreach(source IN LISTS sources)
    list(APPEND unit -include "${source}")
  endforeach()
  list(APPEND unit "${first_source}")
  list(APPEND sources "${first_source}")
  set(depends ${sources} ${headers} "${DEVBIN_DEVICE_FLAGS_FILE}")

  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/code_objects")
  set(work_dir "${CMAKE_CURRENT_BINARY_DIR}/code_objects.work")
  file(MAKE_DIRECTORY "${out_dir}")
  set(outputs "")

  if(code_objects)
    string(JSON amdgpu_triple GET "${flags_json}" amdgpu triple)
    _devbin_json_list(amdgpu_clang "${flags_json}" amdgpu clang)
    _devbin_json_list(amdgpu_lld "${flags_json}" amdgpu lld)
    _devbin_json_list(amdgpu_objcopy "${flags_json}" amdgpu objcopy)
    # The version script's lines hold ';', so they never become a CMake list.
    string(JSON line_count LENGTH "${flags_json}" amdgpu version_script)
    math(EXPR last "${line_count} - 1")
    set(version_script_text "")
    foreach(index RANGE ${last})
      string(JSON line GET "${flags_json}" amdgpu version_script ${index})
      string(APPEND version_script_text "${line}\n")
    endforeach()
    set(version_script "${work_dir}/kernels.map")
    file(CONFIGURE OUTPUT "${version_script}" CONTENT "${version_script_text}" @ONLY)
    _devbin_substitute(lld_flags "${amdgpu_lld}" version_script "${version_script}")
    foreach(code_object IN LISTS code_objects)
      set(work "${work_dir}/${code_object}")
      file(MAKE_DIRECTORY "${work}")
      set(output "${out_dir}/${amdgpu_triple}--${code_object}.so")
      _devbin_substitute(clang_flags "${amdgpu_clang}" target "${code_object}")
      add_custom_command(
        OUTPUT "${output}"
        COMMAND "${llvm_CLANG}" ${clang_flags} -c -o "${work}/device.o" ${unit}
        COMMAND "${llvm_LLD}" ${lld_flags} "${work}/device.o" -o "${work}/linked.so"
        COMMAND "${llvm_OBJCOPY}" ${amdgpu_objcopy} "${work}/linked.so" "${output}"
        DEPENDS ${depends} "${version_script}"
        COMMENT "Building AMDGPU code object ${amdgpu_triple}--${code_object}.so"
        VERBATIM)
      list(APPEND outputs "${output}")
    endforeach()
  endif()

  if(sass_targets OR ptx_targets)
    _devbin_json_list(nvptx_clang "${flags_json}" nvptx clang)
    _devbin_json_list(nvptx_ptxas "${flags_json}" nvptx ptxas)
    foreach(target IN LISTS sass_targets ptx_targets)
      string(REGEX REPLACE "^compute_" "sm_" sm "${target}")
      string(JSON isa GET "${flags_json}" nvptx ptx_isa "${sm}")
      _devbin_substitute(clang_flags "${nvptx_clang}" target "${sm}" ptx_isa "${isa}")
      if(target IN_LIST ptx_targets)
        set(output "${out_dir}/${nvptx_triple}--${target}.ptx")
        add_custom_command(
          OUTPUT "${output}"
          COMMAND "${llvm_CLANG}" ${clang_flags} -S -o "${output}" ${unit}
          DEPENDS ${depends}
          COMMENT "Building NVIDIA PTX ${nvptx_triple}--${target}.ptx"
          VERBATIM)
      else()
        set(work "${work_dir}/${target}")
        file(MAKE_DIRECTORY "${work}")
        set(output "${out_dir}/${nvptx_triple}--${target}.cubin")
        _devbin_substitute(ptxas_flags "${nvptx_ptxas}" target "${sm}")
        add_custom_command(
          OUTPUT "${output}"
          COMMAND "${llvm_CLANG}" ${clang_flags} -S -o "${work}/device.ptx" ${unit}
          COMMAND "${ptxas}" ${ptxas_flags} "${work}/device.ptx" -o "${output}"
          DEPENDS ${depends}
          COMMENT "Building NVIDIA cubin ${nvptx_triple}--${target}.cubin"
          VERBATIM)
      endif()
      list(APPEND outputs "${output}")
    endforeach()
  endif()

  add_custom_target(devbin_device_code_objects DEPENDS ${outputs})
  list(LENGTH outputs count)
  message(STATUS "devbin: source mode builds ${count} code object(s) with ${llvm_CLANG} (LLVM ${llvm_LLVM_MAJOR})"
                 "; AMDGPU: ${code_objects}; NVIDIA: ${sass_targets};${ptx_targets}")
  set(${out_files} "${outputs}" PARENT_SCOPE)
  set(${out_targets} devbin_device_code_objects PARENT_SCOPE)
endfunction()
