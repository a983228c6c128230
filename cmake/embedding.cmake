# strata as a library for other programs (issue 13): the public headers, the migration
# generator strata-embed, strata_add_migrations, and what `make install` and libstrata-dev
# install: include/strata/, libstrata.a, bin/strata-embed, lib/cmake/strata/ and strata.pc.
# docs/packaging.md describes the result. Included from the top-level CMakeLists.txt once the
# library targets exist.

include(GNUInstallDirs)
# The library and its pkg-config and CMake files go where the system's compiler, pkg-config and
# CMake look on a multiarch system (Debian: lib/x86_64-linux-gnu), under any prefix; GNUInstallDirs
# picks that only for a /usr prefix known when configuring (cpack installs under /usr later).
if(CMAKE_INSTALL_LIBDIR STREQUAL "lib" AND CMAKE_LIBRARY_ARCHITECTURE AND EXISTS "/etc/debian_version")
  set(STRATA_INSTALL_LIBDIR "lib/${CMAKE_LIBRARY_ARCHITECTURE}")
else()
  set(STRATA_INSTALL_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
endif()

# The strata binary's driver modules (drivers/module.hpp) go to <libdir>/strata; the binary
# finds them from its own directory.
file(RELATIVE_PATH STRATA_DRIVER_MODULE_DIR "/prefix/${CMAKE_INSTALL_BINDIR}" "/prefix/${STRATA_INSTALL_LIBDIR}/strata")
target_compile_definitions(strata_drivers_modular PRIVATE STRATA_DRIVER_MODULE_DIR="${STRATA_DRIVER_MODULE_DIR}")
install(TARGETS strata-driver-postgres strata-driver-mysql LIBRARY DESTINATION ${STRATA_INSTALL_LIBDIR}/strata)

# The public headers (include/strata/) are the same for the engine and for its users.
target_include_directories(strata_core PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)

# ---------------------------------------------------------------- the generator
add_executable(strata-embed src/embed/main.cpp src/embed/generator.cpp)
target_link_libraries(strata-embed PRIVATE strata_source CLI11::CLI11)
target_link_options(strata-embed PRIVATE LINKER:-z,now)  # as for strata: packaging/packaging.cmake
add_executable(strata::strata-embed ALIAS strata-embed)

# ---------------------------------------------------------------- the library users link
# The public API's target and every library of ours it links, merged into one static archive,
# libstrata.a, so that a program links one file of ours plus Debian's shared libraries.
set(STRATA_LIBRARY_ROOT strata_api)
add_library(strata::strata ALIAS ${STRATA_LIBRARY_ROOT})

# Our own libraries in the link closure of `target`, depth first, in link order.
function(_strata_own_libraries target out)
  set(_seen ${${out}})
  get_target_property(_links ${target} LINK_LIBRARIES)
  if(NOT _links)
    set(_links)
  endif()
  foreach(_link IN LISTS _links)
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" _link "${_link}")
    if(TARGET ${_link} AND _link MATCHES "^strata_" AND NOT _link IN_LIST _seen)
      get_target_property(_type ${_link} TYPE)
      if(_type STREQUAL "STATIC_LIBRARY" OR _type STREQUAL "OBJECT_LIBRARY")
        list(APPEND _seen ${_link})
        _strata_own_libraries(${_link} _seen)
      endif()
    endif()
  endforeach()
  set(${out} ${_seen} PARENT_SCOPE)
endfunction()
set(_strata_archives ${STRATA_LIBRARY_ROOT})
_strata_own_libraries(${STRATA_LIBRARY_ROOT} _strata_archives)

# An object library's objects are already in a static library that links it directly; the
# others are added one by one.
set(_strata_mri "CREATE \${STRATA_ARCHIVE}\n")
set(_strata_merged_deps)
foreach(_lib IN LISTS _strata_archives)
  get_target_property(_type ${_lib} TYPE)
  if(_type STREQUAL "STATIC_LIBRARY")
    string(APPEND _strata_mri "ADDLIB $<TARGET_FILE:${_lib}>\n")
  else()
    set(_inside FALSE)
    foreach(_other IN LISTS _strata_archives)
      get_target_property(_other_type ${_other} TYPE)
      get_target_property(_other_links ${_other} LINK_LIBRARIES)
      if(_other_type STREQUAL "STATIC_LIBRARY" AND _lib IN_LIST _other_links)
        set(_inside TRUE)
      endif()
    endforeach()
    if(NOT _inside)
      string(APPEND _strata_mri "$<JOIN:$<LIST:TRANSFORM,$<TARGET_OBJECTS:${_lib}>,PREPEND,ADDMOD >,\n>\n")
    endif()
  endif()
  list(APPEND _strata_merged_deps ${_lib})
endforeach()
string(APPEND _strata_mri "SAVE\nEND\n")
set(STRATA_ARCHIVE ${PROJECT_BINARY_DIR}/libstrata.a)
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/libstrata.mri.in CONTENT "${_strata_mri}")
add_custom_command(
  OUTPUT ${STRATA_ARCHIVE}
  COMMAND ${CMAKE_COMMAND} -DAR=${CMAKE_AR} -DSCRIPT=${PROJECT_BINARY_DIR}/libstrata.mri.in
          -DSTRATA_ARCHIVE=${STRATA_ARCHIVE} -P ${CMAKE_CURRENT_LIST_DIR}/merge_archives.cmake
  DEPENDS ${_strata_merged_deps} ${PROJECT_BINARY_DIR}/libstrata.mri.in ${CMAKE_CURRENT_LIST_DIR}/merge_archives.cmake
  COMMENT "Merging ${_strata_archives} into libstrata.a"
  VERBATIM)
add_custom_target(strata_library DEPENDS ${STRATA_ARCHIVE})
# Built with the binary, like its documentation, so that every tree `make build` leaves can be
# installed and packaged.
add_dependencies(strata strata_library strata-embed)

# ---------------------------------------------------------------- what users link against it
# mysqlcppconn's development package drags in Boost's headers, which strata's users never need:
# they link its run-time library by its SONAME instead (see docs/packaging.md).
execute_process(COMMAND ${CMAKE_OBJDUMP} -p ${MYSQLCPPCONN_LIBRARY} OUTPUT_VARIABLE _strata_objdump
                RESULT_VARIABLE _strata_objdump_rc)
string(REGEX MATCH "SONAME +([^\n]+)" _strata_soname "${_strata_objdump}")
set(STRATA_MYSQLCPPCONN_SONAME "${CMAKE_MATCH_1}")
if(NOT STRATA_MYSQLCPPCONN_SONAME)
  message(FATAL_ERROR "cannot read the SONAME of ${MYSQLCPPCONN_LIBRARY} (objdump -p)")
endif()

set(STRATA_CMAKE_DIR ${STRATA_INSTALL_LIBDIR}/cmake/strata)
include(CMakePackageConfigHelpers)
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/strataConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cmake/strataConfig.cmake
                              INSTALL_DESTINATION ${STRATA_CMAKE_DIR}
                              PATH_VARS CMAKE_INSTALL_INCLUDEDIR STRATA_INSTALL_LIBDIR CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/strataConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
set(_prefix "@_prefix@")  # filled in at install time, below
configure_file(${CMAKE_CURRENT_LIST_DIR}/strata.pc.in ${PROJECT_BINARY_DIR}/cmake/strata.pc.in @ONLY)

# ---------------------------------------------------------------- install (component dev)
install(DIRECTORY include/strata DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${STRATA_ARCHIVE} DESTINATION ${STRATA_INSTALL_LIBDIR} COMPONENT dev)
install(TARGETS strata-embed RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/cmake/strataConfig.cmake ${PROJECT_BINARY_DIR}/cmake/strataConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/StrataMigrations.cmake
        DESTINATION ${STRATA_CMAKE_DIR} COMPONENT dev)
# strata.pc names the prefix it is installed under, known only at install time (--prefix, cpack).
install(CODE "
  set(_prefix \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/cmake/strata.pc.in\" \"${PROJECT_BINARY_DIR}/cmake/strata.pc\" @ONLY)
  " COMPONENT dev)
install(FILES ${PROJECT_BINARY_DIR}/cmake/strata.pc DESTINATION ${STRATA_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
# Stripped as dh_strip strips a static library: debugging sections, .comment and .note.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug --remove-section=.comment --remove-section=.note
                            --enable-deterministic-archives
                            \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${STRATA_INSTALL_LIBDIR}/libstrata.a\"
                    COMMAND_ERROR_IS_FATAL ANY)
    execute_process(COMMAND \"${CMAKE_OBJCOPY}\" --remove-section=.comment --remove-section=.note
                            \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/strata-embed\"
                    COMMAND_ERROR_IS_FATAL ANY)
  endif()" COMPONENT dev)

include(${CMAKE_CURRENT_LIST_DIR}/StrataMigrations.cmake)
