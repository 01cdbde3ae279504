# Install: libraries, headers, the binary, a CMake package and a pkg-config file,
# so that hosts can find_package(apigw) or pkg-config --libs apigw.
include(CMakePackageConfigHelpers)
install(TARGETS apigw apigw_shared apigw_cli EXPORT apigwTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/apigw DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT apigwTargets NAMESPACE apigw:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/apigw)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/apigwConfig.cmake.in
  ${PROJECT_BINARY_DIR}/apigwConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/apigw)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/apigwConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/apigwConfig.cmake ${PROJECT_BINARY_DIR}/apigwConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/apigw)
configure_file(${PROJECT_SOURCE_DIR}/cmake/apigw.pc.in ${PROJECT_BINARY_DIR}/apigw.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/apigw.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
