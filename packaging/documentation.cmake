# The documentation that `make install`, the .deb and the .tar.gz install beside the binary:
# the man page (gzip'd, as Debian policy wants it) and, under share/doc/strata/, README.md,
# docs/*.md (in docs/, so README's links still work), the DEP-5 copyright file and the
# changelog. `strata --help` and the man page point there; keep them in step.

# Who builds and answers for the package: the .deb's Maintainer field and the changelog's
# signature. The default is a placeholder whose address says that it is one (.invalid, RFC 2606):
# set it when building a package for others, e.g. -DSTRATA_PACKAGE_MAINTAINER="Jo <jo@example.com>".
set(STRATA_PACKAGE_MAINTAINER "strata developers <strata@example.invalid>"
    CACHE STRING "Maintainer of the .deb and signer of its changelog: Name <address>")

find_program(STRATA_GZIP gzip REQUIRED)
set(_pkg_out ${CMAKE_CURRENT_BINARY_DIR}/packaging)

# The changelog names whoever builds the package (STRATA_PACKAGE_MAINTAINER); its version
# line is checked against the package version by tests/package/deb_test.sh.
configure_file(${CMAKE_CURRENT_LIST_DIR}/changelog.in ${_pkg_out}/changelog @ONLY)

# gzip -9n: maximal compression without a name or time stamp, so the bytes are reproducible.
set(_pkg_compressed)
foreach(_pair "${CMAKE_CURRENT_LIST_DIR}/strata.1|strata.1.gz" "${_pkg_out}/changelog|changelog.gz"
              "${CMAKE_CURRENT_LIST_DIR}/strata-embed.1|strata-embed.1.gz")
  string(REPLACE "|" ";" _pair "${_pair}")
  list(GET _pair 0 _in)
  list(GET _pair 1 _name)
  add_custom_command(OUTPUT ${_pkg_out}/${_name}
                     COMMAND ${STRATA_GZIP} -9n -c ${_in} > ${_pkg_out}/${_name}
                     DEPENDS ${_in} VERBATIM)
  list(APPEND _pkg_compressed ${_pkg_out}/${_name})
endforeach()
# Built with the binary, so that every tree `make build` leaves can be installed and packaged.
add_custom_target(strata_documentation DEPENDS ${_pkg_compressed})
add_dependencies(strata strata_documentation)

install(FILES ${_pkg_out}/strata.1.gz DESTINATION share/man/man1)
install(FILES README.md DESTINATION share/doc/strata)
file(GLOB _pkg_docs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${_pkg_docs} DESTINATION share/doc/strata/docs)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright ${_pkg_out}/changelog.gz DESTINATION share/doc/strata)

# libstrata-dev (component dev, cmake/embedding.cmake): strata-embed's man page, and the
# copyright, changelog and how to build against the library in its own doc directory.
install(FILES ${_pkg_out}/strata-embed.1.gz DESTINATION share/man/man1 COMPONENT dev)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright ${_pkg_out}/changelog.gz ${PROJECT_SOURCE_DIR}/docs/packaging.md
              ${PROJECT_SOURCE_DIR}/docs/library.md
        DESTINATION share/doc/libstrata-dev COMPONENT dev)
