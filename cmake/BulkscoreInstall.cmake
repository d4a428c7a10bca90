# Installs the library, its headers, the CLI and a CMake package so that a host project can
# say find_package(bulkscore CONFIG REQUIRED) and link bulkscore::bulkscore.

include(CMakePackageConfigHelpers)

install(TARGETS bulkscore_library
    EXPORT bulkscoreTargets
    ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}"
    LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}"
    INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS bulkscore_cli RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/bulkscore"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

set(BULKSCORE_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/bulkscore")
install(EXPORT bulkscoreTargets
    NAMESPACE bulkscore::
    DESTINATION "${BULKSCORE_CMAKE_DIR}")
configure_package_config_file(
    "${PROJECT_SOURCE_DIR}/cmake/bulkscoreConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/bulkscoreConfig.cmake"
    INSTALL_DESTINATION "${BULKSCORE_CMAKE_DIR}")
write_basic_package_version_file(
    "${PROJECT_BINARY_DIR}/bulkscoreConfigVersion.cmake"
    COMPATIBILITY SameMinorVersion)
install(FILES
    "${PROJECT_BINARY_DIR}/bulkscoreConfig.cmake"
    "${PROJECT_BINARY_DIR}/bulkscoreConfigVersion.cmake"
    DESTINATION "${BULKSCORE_CMAKE_DIR}")
