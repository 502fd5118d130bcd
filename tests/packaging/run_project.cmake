# Runs one packaging check (cmake -P). Variables:
#   MODE          install | subdirectory
#   MESHSEC_SOURCE_DIR, MESHSEC_BINARY_DIR  the meshsec tree and its build
#   WORK_DIR      scratch directory (emptied first)
#   GENERATOR, CXX_COMPILER, LAUNCHER, BUILD_TYPE  as in the meshsec build
#   EXPECTED      regular expression the program's output must match
#   LINK_FLAGS    optional linker flags of the consumer (sanitizer builds)
# install:      cmake --install <build> --prefix WORK_DIR/prefix, then
#               configure/build/run consumer_project against that prefix.
# subdirectory: configure/build/run parent_project, which adds the meshsec
#               source tree with add_subdirectory().
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}\n${err}")
  endif()
  set(RUN_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(common -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
if(LAUNCHER)
  list(APPEND common -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()

if(MODE STREQUAL "install")
  run(${CMAKE_COMMAND} --install ${MESHSEC_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} -S ${MESHSEC_SOURCE_DIR}/tests/packaging/consumer_project
      -B ${WORK_DIR}/build ${common} "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DMESHSEC_EXPECTED_PREFIX=${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
  run(${WORK_DIR}/build/meshsec_consumer)
elseif(MODE STREQUAL "subdirectory")
  run(${CMAKE_COMMAND} -S ${MESHSEC_SOURCE_DIR}/tests/packaging/parent_project
      -B ${WORK_DIR}/build ${common}
      -DMESHSEC_SOURCE_DIR=${MESHSEC_SOURCE_DIR} -DMESH_WARNINGS=ON)
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --target meshsec_parent)
  run(${WORK_DIR}/build/meshsec_parent)
else()
  message(FATAL_ERROR "MODE must be install or subdirectory, got '${MODE}'")
endif()

message(STATUS "output: ${RUN_OUTPUT}")
if(NOT RUN_OUTPUT MATCHES "${EXPECTED}")
  message(FATAL_ERROR "unexpected output:\n${RUN_OUTPUT}\nexpected to match:\n${EXPECTED}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
