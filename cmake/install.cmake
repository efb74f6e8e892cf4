# Installs the libraries, the public headers, the CMake package (simdgrad-config.cmake with a
# SameMajorVersion version file and the exported targets, simdgrad::distributed as a component
# loaded on request) and simdgrad.pc.
include(CMakePackageConfigHelpers)

set(SIMDGRAD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/simdgrad)

install(TARGETS simdgrad_core simdgrad_autograd simdgrad
  EXPORT simdgrad-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Only include/simdgrad/ is public; the internal headers beside the sources are not installed.
install(DIRECTORY
    ${PROJECT_SOURCE_DIR}/lib/include/simdgrad
    ${PROJECT_SOURCE_DIR}/autograd/include/simdgrad
    ${PROJECT_BINARY_DIR}/include/simdgrad
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(EXPORT simdgrad-targets
  NAMESPACE simdgrad::
  DESTINATION ${SIMDGRAD_CMAKE_DIR})

# simdgrad::distributed: an export set of its own, loaded only by find_package(simdgrad
# COMPONENTS distributed), so users of the rest need no MPI even where it was built with MPI.
if(TARGET simdgrad_distributed)
  install(TARGETS simdgrad_distributed
    EXPORT simdgrad-distributed-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/distributed/include/simdgrad
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.h")
  install(EXPORT simdgrad-distributed-targets
    NAMESPACE simdgrad::
    DESTINATION ${SIMDGRAD_CMAKE_DIR})
endif()

if(MPI_CXX_FOUND)
  set(SIMDGRAD_DISTRIBUTED_WITH_MPI TRUE)
else()
  set(SIMDGRAD_DISTRIBUTED_WITH_MPI FALSE)
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/simdgrad-config.cmake.in
  ${PROJECT_BINARY_DIR}/simdgrad-config.cmake
  INSTALL_DESTINATION ${SIMDGRAD_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/simdgrad-config-version.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/simdgrad-config.cmake
    ${PROJECT_BINARY_DIR}/simdgrad-config-version.cmake
  DESTINATION ${SIMDGRAD_CMAKE_DIR})

# simdgrad.pc finds its prefix relative to itself (${pcfiledir}), so the installed tree can be
# moved, and the prefix given to `cmake --install --prefix` need not be known when configuring.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  message(FATAL_ERROR "simdgrad: CMAKE_INSTALL_LIBDIR must be relative to the prefix for simdgrad.pc")
endif()
string(REGEX REPLACE "[^/]+" ".." SIMDGRAD_PC_TO_PREFIX "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
# A static core carries the IDX reader's zlib calls into the user's link; a shared one does not.
if(BUILD_SHARED_LIBS)
  set(SIMDGRAD_PC_REQUIRES "libhwy")
  set(SIMDGRAD_PC_REQUIRES_PRIVATE "zlib")
else()
  set(SIMDGRAD_PC_REQUIRES "libhwy zlib")
  set(SIMDGRAD_PC_REQUIRES_PRIVATE "")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/simdgrad.pc.in ${PROJECT_BINARY_DIR}/simdgrad.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/simdgrad.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
