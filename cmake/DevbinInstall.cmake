# cmake --install + find_package(devbin CONFIG): the runtime library, its
# headers, the device ABI header and the CLI.
include(CMakePackageConfigHelpers)

install(TARGETS devbin_runtime devbin_device_abi EXPORT devbinTargets
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
