# SPDX-License-Identifier: MIT
# Man pages (issue 12): every docs/man/NAME.SECTION.scd (and the Russian
# docs/man/ru/NAME.SECTION.scd) is turned by scdoc into
# BUILD/man/[ru/]NAME.SECTION.gz, part of the default build, and installed
# under share/man/[ru/]manSECTION. The list is read when CMake configures
# (CONFIGURE_DEPENDS), so a new page is picked up by the next build.
option(KT_MAN "Build and install the man pages (needs scdoc)" ON)
if(NOT KT_MAN)
  return()
endif()
find_program(SCDOC scdoc)
find_program(GZIP gzip REQUIRED)
if(NOT SCDOC)
  message(FATAL_ERROR "scdoc not found: `apt-get install scdoc`, "
    "or configure with -DKT_MAN=OFF to build without the man pages")
endif()

set(KT_MAN_BUILD_DIR ${CMAKE_BINARY_DIR}/man)
set(KT_MAN_FILES "")
foreach(lang "" ru)
  if(lang STREQUAL "")
    set(srcdir ${CMAKE_SOURCE_DIR}/docs/man)
    set(outdir ${KT_MAN_BUILD_DIR})
    set(destroot ${CMAKE_INSTALL_MANDIR})
  else()
    set(srcdir ${CMAKE_SOURCE_DIR}/docs/man/${lang})
    set(outdir ${KT_MAN_BUILD_DIR}/${lang})
    set(destroot ${CMAKE_INSTALL_MANDIR}/${lang})
  endif()
  file(GLOB pages CONFIGURE_DEPENDS ${srcdir}/*.scd)
  foreach(src ${pages})
    get_filename_component(page ${src} NAME_WLE)      # kartoteka.1
    string(REGEX MATCH "[1-9]$" section ${page})
    if(NOT section)
      message(FATAL_ERROR "${src}: the name must end in .SECTION.scd")
    endif()
    set(out ${outdir}/${page}.gz)
    # gzip -n: no name or time stamp inside, so two builds give the same
    # bytes (Debian's policy for man pages: compressed, reproducible).
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${outdir}
      COMMAND sh -c "\"$1\" <\"$2\" >\"$3\" && \"$5\" -n -9 -c \"$3\" >\"$4\" && rm -f \"$3\""
        sh ${SCDOC} ${src} ${outdir}/${page}.tmp ${out} ${GZIP}
      DEPENDS ${src}
      COMMENT "scdoc ${src}"
      VERBATIM)
    list(APPEND KT_MAN_FILES ${out})
    install(FILES ${out} DESTINATION ${destroot}/man${section})
  endforeach()
endforeach()
add_custom_target(kt_man ALL DEPENDS ${KT_MAN_FILES})
