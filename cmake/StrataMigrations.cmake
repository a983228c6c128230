# strata_add_migrations(TARGET DIR [NAME function] [DIALECT dialect...])
#
# Compiles the migration directory DIR (relative to the current source directory) into TARGET.
# At build time strata-embed reads it with strata's loader and parser and fails the build with
# `DIR/file:line: message` for anything `strata validate` would refuse (a bad name, a duplicate
# version, a parse error), for every dialect of DIALECT (sqlite, postgres, mysql; default: all
# three). It then writes a .cpp defining `const strata::EmbeddedMigrations& NAME()` (default
# `strata_migrations`; may be qualified, `app::migrations`) and a header declaring it, included as
# `#include "<last part of NAME>.hpp"`. TARGET gets both and links strata::strata.
#
# The set is generated again when a file of DIR is edited, added or removed (the directory's
# listing is a CONFIGURE_DEPENDS glob: the build notices an added or removed file and runs
# CMake again, which rewrites the listing the set depends on).
# Per-dialect files are all compiled in, so the program can run on any dialect; the ones not
# named in DIALECT are checked when the program loads them.
function(strata_add_migrations target directory)
  cmake_parse_arguments(PARSE_ARGV 2 _strata "" "NAME" "DIALECT")
  if(_strata_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "strata_add_migrations: unknown arguments ${_strata_UNPARSED_ARGUMENTS} "
                        "(expected TARGET DIR [NAME function] [DIALECT dialect...])")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "strata_add_migrations: ${target} is not a target")
  endif()
  if(NOT _strata_NAME)
    set(_strata_NAME strata_migrations)
  endif()
  if(NOT _strata_NAME MATCHES "^(::)?[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$")
    message(FATAL_ERROR "strata_add_migrations: NAME ${_strata_NAME} is not a C++ function name")
  endif()
  get_filename_component(_dir "${directory}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${_dir}")
    message(FATAL_ERROR "strata_add_migrations: migrations directory ${_dir} does not exist")
  endif()

  file(GLOB _files CONFIGURE_DEPENDS LIST_DIRECTORIES false "${_dir}/*")
  string(REGEX REPLACE "^.*::" "" _header_stem "${_strata_NAME}")
  string(MAKE_C_IDENTIFIER "${_strata_NAME}" _stem)
  set(_out "${CMAKE_CURRENT_BINARY_DIR}/strata_migrations/${target}")
  set(_cpp "${_out}/${_stem}.cpp")
  set(_header "${_out}/include/${_header_stem}.hpp")
  set(_dialects)
  foreach(_dialect IN LISTS _strata_DIALECT)
    list(APPEND _dialects --dialect ${_dialect})
  endforeach()
  file(MAKE_DIRECTORY "${_out}/include")
  # The listing, rewritten only when it changes: a removed file (or one added with an old time
  # stamp) makes the set older than its inputs.
  list(JOIN _files "\n" _listing)
  set(_previous)
  if(EXISTS "${_out}/${_stem}.files")
    file(READ "${_out}/${_stem}.files" _previous)
  endif()
  if(NOT _previous STREQUAL "${_listing}\n")
    file(WRITE "${_out}/${_stem}.files" "${_listing}\n")
  endif()
  add_custom_command(
    OUTPUT "${_cpp}" "${_header}"
    COMMAND strata::strata-embed "${_dir}" --output "${_cpp}" --header "${_header}" --function "${_strata_NAME}"
            --label "${directory}" ${_dialects}
    DEPENDS ${_files} "${_out}/${_stem}.files" strata::strata-embed
    COMMENT "Compiling in the migrations of ${directory} (${_strata_NAME})"
    VERBATIM)
  target_sources(${target} PRIVATE "${_cpp}" "${_header}")
  target_include_directories(${target} PRIVATE "${_out}/include")
  target_link_libraries(${target} PRIVATE strata::strata)
endfunction()
