# Install and export helpers (docs/packaging.md).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MESHSEC_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/meshsec)

# meshsec_install_library(<target>): makes <target> part of the package.
#  - alias meshsec::<target>, so a parent project using add_subdirectory()
#    links the same names as a find_package(meshsec) user;
#  - installs the library into the export set meshsecTargets;
#  - installs the headers of the target's source directory (*.h, test
#    helpers excluded) keeping the tree: core/amount.h -> include/core/amount.h.
# The target's include directories must be $<BUILD_INTERFACE:...> only (or
# add $<INSTALL_INTERFACE:include>); mesh_core carries the one for everybody.
function(meshsec_install_library target)
  add_library(meshsec::${target} ALIAS ${target})
  if(NOT MESH_INSTALL)
    return()
  endif()
  install(TARGETS ${target} EXPORT meshsecTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  get_target_property(dir ${target} SOURCE_DIR)
  file(RELATIVE_PATH rel ${meshsec_SOURCE_DIR} ${dir})
  install(DIRECTORY ${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${rel}
    FILES_MATCHING PATTERN "*.h"
    PATTERN "*test*" EXCLUDE
    PATTERN "*fuzz*" EXCLUDE)
endfunction()

# meshsec_install_package(): the export file and meshsecConfig.cmake /
# meshsecConfigVersion.cmake. Call once, after every meshsec_install_library.
function(meshsec_install_package)
  if(NOT MESH_INSTALL)
    return()
  endif()
  if(TARGET mesh_proto)
    set(MESHSEC_WITH_GRPC ON)
  else()
    set(MESHSEC_WITH_GRPC OFF)
  endif()
  install(EXPORT meshsecTargets
    NAMESPACE meshsec::
    FILE meshsecTargets.cmake
    DESTINATION ${MESHSEC_CMAKE_INSTALL_DIR})
  configure_package_config_file(
    ${meshsec_SOURCE_DIR}/cmake/meshsecConfig.cmake.in
    ${meshsec_BINARY_DIR}/meshsecConfig.cmake
    INSTALL_DESTINATION ${MESHSEC_CMAKE_INSTALL_DIR})
  write_basic_package_version_file(
    ${meshsec_BINARY_DIR}/meshsecConfigVersion.cmake
    VERSION ${meshsec_VERSION}
    COMPATIBILITY SameMinorVersion)
  install(FILES
    ${meshsec_BINARY_DIR}/meshsecConfig.cmake
    ${meshsec_BINARY_DIR}/meshsecConfigVersion.cmake
    ${meshsec_SOURCE_DIR}/cmake/meshsecDependencies.cmake
    DESTINATION ${MESHSEC_CMAKE_INSTALL_DIR})
endfunction()
