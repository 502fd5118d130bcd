# CTest checks of the package (label "packaging", docs/packaging.md), added by
# the top-level CMakeLists.txt when tests are built at the top level:
#  packaging_install       installs this build to a scratch prefix and builds
#                          and runs tests/packaging/consumer_project against
#                          it with find_package(meshsec);
#  packaging_subdirectory  builds and runs tests/packaging/parent_project,
#                          which adds this source tree with add_subdirectory().
# The install test needs the whole build (ninja) first. Each compiles one file
# of its own; the subdirectory one also compiles mesh_core in its own tree
# (ccache hits after the first run).
set(_pkg_args
  -DMESHSEC_SOURCE_DIR=${meshsec_SOURCE_DIR}
  -DMESHSEC_BINARY_DIR=${meshsec_BINARY_DIR}
  -DGENERATOR=${CMAKE_GENERATOR}
  -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
  -DLAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
  -DBUILD_TYPE=${CMAKE_BUILD_TYPE})
if(MESH_SANITIZE)
  # The installed libraries are instrumented: the consumer links the runtime.
  list(APPEND _pkg_args -DLINK_FLAGS=-fsanitize=address,undefined)
endif()
add_test(NAME packaging_install
  COMMAND ${CMAKE_COMMAND} ${_pkg_args} -DMODE=install
    -DWORK_DIR=${meshsec_BINARY_DIR}/packaging/install
    "-DEXPECTED=balance=300000000000000000000 overflow=OUT_OF_RANGE get=v sha256\\(abc\\)=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    -P ${CMAKE_CURRENT_LIST_DIR}/run_project.cmake)
add_test(NAME packaging_subdirectory
  COMMAND ${CMAKE_COMMAND} ${_pkg_args} -DMODE=subdirectory
    -DWORK_DIR=${meshsec_BINARY_DIR}/packaging/subdirectory
    "-DEXPECTED=inner=3 sum=36893488147419103232 n=2 ripemd160\\(abc\\)=8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
    -P ${CMAKE_CURRENT_LIST_DIR}/run_project.cmake)
set_tests_properties(packaging_install packaging_subdirectory PROPERTIES
  LABELS packaging TIMEOUT 900)
unset(_pkg_args)
