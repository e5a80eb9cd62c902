# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Tests of the source build of the device code objects (build_tools/device_binaries.py,
# cmake/DevbinDeviceSource.cmake, the checked-in device/binaries/prebuilt/): Python
# unittest, one CTest test per test class, labelled `source`; the whole-project
# source-mode build is also labelled `slow`. Included by tests/build_tools/CMakeLists.txt.
# Each exits 77 (shown as skipped) when clang-22 is missing for all it tests.
find_package(Python3 COMPONENTS Interpreter)
if(NOT Python3_Interpreter_FOUND)
  message(STATUS "devbin: no python3; the device_binaries tests are left out")
else()
  # The nested configures use the same cmake and generator as this build.
  set(_devbin_device_binaries_env
      "DEVBIN_CMAKE=${CMAKE_COMMAND}" "DEVBIN_CMAKE_GENERATOR=${CMAKE_GENERATOR}")
  foreach(_devbin_case IN ITEMS
      "selection_errors:SelectionErrorTest:source:300"
      "too_old_compiler:TooOldCompilerTest:source:300"
      "cmake_configure:CMakeConfigureTest:source:300"
      "script:ScriptBuildTest:source:600"
      "prebuilt_set:PrebuiltSetTest:source:120"
      "cmake_source_build:SourceModeBuildTest:slow+source:1800")
    string(REPLACE ":" ";" _devbin_fields "${_devbin_case}")
    list(GET _devbin_fields 0 _devbin_name)
    list(GET _devbin_fields 1 _devbin_class)
    list(GET _devbin_fields 2 _devbin_labels)
    string(REPLACE "+" ";" _devbin_labels "${_devbin_labels}")
    list(GET _devbin_fields 3 _devbin_timeout)
    add_test(NAME device_binaries.${_devbin_name}
             COMMAND "${Python3_EXECUTABLE}" -B "${CMAKE_CURRENT_LIST_DIR}/device_binaries_test.py" ${_devbin_class})
    set_tests_properties(device_binaries.${_devbin_name} PROPERTIES
      LABELS "${_devbin_labels}"
      SKIP_RETURN_CODE 77
      TIMEOUT ${_devbin_timeout}
      ENVIRONMENT "${_devbin_device_binaries_env}")
  endforeach()
endif()
