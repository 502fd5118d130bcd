# Finds the third-party libraries that meshsec's libraries link and defines
# the imported target meshsec_deps::rocksdb. Included by the top-level
# CMakeLists.txt (MESHSEC_DEPS_REQUIRED=ON: a missing library is a configure
# error) and by the installed meshsecConfig.cmake (OFF: a missing library
# makes find_package(meshsec) fail), so a consumer finds them exactly as the
# build did.
#
# Input:  MESHSEC_DEPS_REQUIRED, MESHSEC_WITH_GRPC (installed config only; the
#         build finds protobuf/gRPC in proto/ and node/).
# Output: meshsec_DEPS_MISSING, the list of libraries not found.
if(MESHSEC_DEPS_REQUIRED)
  set(_meshsec_mode REQUIRED)
else()
  set(_meshsec_mode QUIET)
endif()
set(meshsec_DEPS_MISSING "")

find_package(absl ${_meshsec_mode})
if(NOT absl_FOUND)
  list(APPEND meshsec_DEPS_MISSING absl)
endif()

find_package(OpenSSL 3.0 ${_meshsec_mode} COMPONENTS Crypto)
if(NOT TARGET OpenSSL::Crypto)
  list(APPEND meshsec_DEPS_MISSING "OpenSSL>=3 (libcrypto)")
endif()

find_package(PkgConfig ${_meshsec_mode})
if(PkgConfig_FOUND AND NOT TARGET PkgConfig::SECP256K1)
  pkg_check_modules(SECP256K1 ${_meshsec_mode} IMPORTED_TARGET libsecp256k1)
endif()
if(NOT TARGET PkgConfig::SECP256K1)
  list(APPEND meshsec_DEPS_MISSING libsecp256k1)
endif()

# RocksDB by library and header (the distribution's RocksDBConfig pulls in
# gflags, snappy, ... that the engine does not need).
if(NOT TARGET meshsec_deps::rocksdb)
  find_library(ROCKSDB_LIB rocksdb)
  find_path(ROCKSDB_INCLUDE rocksdb/db.h)
  if(ROCKSDB_LIB AND ROCKSDB_INCLUDE)
    add_library(meshsec_deps::rocksdb UNKNOWN IMPORTED)
    set_target_properties(meshsec_deps::rocksdb PROPERTIES
      IMPORTED_LOCATION "${ROCKSDB_LIB}"
      INTERFACE_INCLUDE_DIRECTORIES "${ROCKSDB_INCLUDE}")
  elseif(MESHSEC_DEPS_REQUIRED)
    message(FATAL_ERROR "RocksDB not found (library rocksdb, header rocksdb/db.h)")
  else()
    list(APPEND meshsec_DEPS_MISSING RocksDB)
  endif()
endif()

if(MESHSEC_WITH_GRPC)
  find_package(Protobuf ${_meshsec_mode})
  find_package(gRPC CONFIG ${_meshsec_mode})
  if(NOT Protobuf_FOUND OR NOT gRPC_FOUND)
    list(APPEND meshsec_DEPS_MISSING "protobuf/gRPC")
  endif()
endif()
unset(_meshsec_mode)
