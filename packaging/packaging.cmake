# CPack settings for the .deb and the .tar.gz (`make package`, or `cpack` in a build tree).
# Included from the top-level CMakeLists.txt after the install() rules; the install rules are
# the single list of what goes into both packages and into `make install`.

set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_PACKAGE_NAME "strata")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_VENDOR "strata developers")
set(CPACK_PACKAGE_CONTACT "${STRATA_PACKAGE_MAINTAINER}")  # packaging/documentation.cmake
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "database schema migrations for SQLite, PostgreSQL and MySQL/MariaDB")
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "strata applies, reverts and inspects SQL schema migrations. It reads"
  "golang-migrate, goose, sql-migrate and dbmate migration files, keeps the"
  "version in a golang-migrate compatible schema_migrations table with a history"
  "table beside it, runs each migration in a transaction where the database"
  "allows, takes a lock so that concurrent runs apply each migration once, and"
  "can print every statement of a plan without touching the database.")
set(CPACK_STRIP_FILES ON)

# The archive unpacks to strata-<version>-Linux/{bin,share}; the .deb installs under /usr.
# CPACK_PROJECT_CONFIG_FILE is read by cpack once per generator, so the prefix can differ.
set(CPACK_PROJECT_CONFIG_FILE "${CMAKE_CURRENT_LIST_DIR}/cpack_generator_options.cmake")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # strata_<version>_<arch>.deb, arch from dpkg
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_SECTION "database")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from dpkg-shlibdeps (dpkg-dev)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# The completion in /usr/share/bash-completion/completions is only loaded by bash-completion.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")

# Two .deb packages: strata (the CLI: every install rule without a component) and
# libstrata-dev (component dev: headers, libstrata.a, strata-embed, the CMake config and
# strata.pc; cmake/embedding.cmake). The .tar.gz holds both.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL Unspecified dev)
set(CPACK_DEBIAN_UNSPECIFIED_PACKAGE_NAME "strata")
set(CPACK_DEBIAN_UNSPECIFIED_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")  # components have no fallback to it
set(CPACK_DEBIAN_DEV_PACKAGE_NAME "libstrata-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION "libdevel")
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "cmake")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY for both (CPack has none per component).
string(JOIN "\n" CPACK_DEBIAN_DEV_DESCRIPTION
  "Development files of strata as a C++17 library: a program links libstrata to"
  "migrate its own database at start-up from SQL migration files compiled into"
  "it, with the lock, dirty flag, history table and checksums of the strata"
  "command. This package holds the headers, the static library, the strata-embed"
  "generator, the CMake package (find_package(strata), strata_add_migrations) and"
  "a pkg-config file.")
# A program that links libstrata.a links what it uses (strata.pc, strataConfig.cmake): the
# development packages of those libraries, except mysqlcppconn's (which brings Boost's headers):
# its run-time library is linked by SONAME. strata-embed's own needs come from dpkg-shlibdeps.
set(_pkg_mysql_runtime libmysqlcppconn7v5)
find_program(STRATA_DPKG dpkg)
if(STRATA_DPKG)
  get_filename_component(_pkg_mysql_real "${MYSQLCPPCONN_LIBRARY}" REALPATH)
  execute_process(COMMAND ${STRATA_DPKG} -S "${_pkg_mysql_real}" OUTPUT_VARIABLE _pkg_owner ERROR_QUIET
                  RESULT_VARIABLE _pkg_rc)
  if(_pkg_rc EQUAL 0 AND _pkg_owner MATCHES "^([^:]+):")
    set(_pkg_mysql_runtime "${CMAKE_MATCH_1}")
  endif()
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libpqxx-dev, libpq-dev, libsqlite3-dev, libsqlitecpp-dev, nettle-dev, libfmt-dev, ${_pkg_mysql_runtime}, pkg-config")

set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "\\\\.db$")

# ---------------------------------------------------------------- the packaged binary
# What dpkg-buildflags and dh_strip would do for a Debian package, so that lintian is content.
# A stripped install (cpack, `cmake --install --strip`) also loses .comment and .note (compiler
# versions), as with dh_strip (lintian: binary-has-unneeded-section). install(TARGETS strata)
# has stripped the binary by then: install scripts run in the order they are declared.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(_file bin/strata ${STRATA_INSTALL_LIBDIR}/strata/strata-driver-postgres.so
                  ${STRATA_INSTALL_LIBDIR}/strata/strata-driver-mysql.so)
      execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --remove-section=.comment --remove-section=.note
                              \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${_file}\" COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()")
# Resolve every symbol at start-up so that the GOT can be read-only (dpkg-buildflags'
# hardening=+bindnow; lintian: hardening-no-bindnow). Debian's toolchain already gives PIE and relro.
target_link_options(strata PRIVATE LINKER:-z,now)
# glibc's checked variants of memcpy, read, snprintf, ... (hardening=+fortify; lintian:
# hardening-no-fortify-functions) for the code that ships: the libraries and the binary defined
# in the top-level directory (tests/ and fuzz/ are subdirectories). Needs optimisation; not
# under the sanitizers or the fuzzers, which instrument the same calls themselves.
if(NOT STRATA_SANITIZE AND NOT STRATA_FUZZ)
  get_property(_shipped DIRECTORY ${PROJECT_SOURCE_DIR} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(_target IN LISTS _shipped)
    get_target_property(_type ${_target} TYPE)
    if(_type STREQUAL "STATIC_LIBRARY" OR _type STREQUAL "EXECUTABLE" OR _type STREQUAL "MODULE_LIBRARY")
      target_compile_definitions(${_target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
    endif()
  endforeach()
endif()

include(CPack)
