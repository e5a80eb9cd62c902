# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# cmake --install + find_package(devbin CONFIG) or pkg-config (devbin.pc):
# the runtime library (libdevbin.a) and the C API's shared library
# (libdevbin.so.1), their headers (the C API's devbin/devbin.h among them),
# the device ABI header and the CLI.
include(CMakePackageConfigHelpers)

install(TARGETS devbin_runtime devbin_shared devbin_device_abi EXPORT devbinTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/devbin DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_SOURCE_DIR}/device/abi.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/devbin/device)
if(TARGET devbin)
  install(TARGETS devbin EXPORT devbinTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT devbinTargets NAMESPACE devbin:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/devbin)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/devbinConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/devbinConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/devbin)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/devbinConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/devbinConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/devbinConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/devbin)

# devbin.pc finds the prefix from its own place (any --prefix at install time).
file(RELATIVE_PATH DEVBIN_PC_PREFIX "/prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/prefix")
configure_file(${CMAKE_CURRENT_LIST_DIR}/devbin.pc.in ${CMAKE_CURRENT_BINARY_DIR}/devbin.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/devbin.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/devbin)
