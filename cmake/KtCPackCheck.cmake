# SPDX-License-Identifier: MIT
# Read by cpack (CPACK_PROJECT_CONFIG_FILE): a package is built only from
# a build configured with -DCMAKE_INSTALL_PREFIX=/usr, whose binaries look
# for their catalogues in /usr/share/locale and whose unit runs
# /usr/bin/kartotekad. A /usr/local build is installed with
# `cmake --install`, never packaged.
if(NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "kartoteka: the Debian package is built from a build "
    "configured for /usr, this one is for '${CPACK_PACKAGING_INSTALL_PREFIX}': "
    "cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr && "
    "cmake --build build-deb -j2 && (cd build-deb && cpack -G DEB)")
endif()
