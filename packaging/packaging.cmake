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

set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build[^/]*/" "\\\\.db$")

# ---------------------------------------------------------------- the packaged binary
# What dpkg-buildflags and dh_strip would do for a Debian package, so that lintian is content.
# A stripped install (cpack, `cmake --install --strip`) also loses .comment and .note (compiler
# versions), as with dh_strip (lintian: binary-has-unneeded-section). install(TARGETS strata)
# has stripped the binary by then: install scripts run in the order they are declared.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --remove-section=.comment --remove-section=.note
                            \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin/strata\" COMMAND_ERROR_IS_FATAL ANY)
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
    if(_type STREQUAL "STATIC_LIBRARY" OR _type STREQUAL "EXECUTABLE")
      target_compile_definitions(${_target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
    endif()
  endforeach()
endif()

include(CPack)
