# SPDX-License-Identifier: MIT
# The Debian package (issue 12, item 8), built by CPack from a build
# configured for /usr:
#   cmake -S . -B build-deb -DCMAKE_INSTALL_PREFIX=/usr
#   cmake --build build-deb -j2 && (cd build-deb && cpack -G DEB)
# One package, `kartoteka`, with the server and both clients: the owner's
# server machine is also the owner's first terminal (README.md), the server
# reads the same translation catalogues as the clients, and the install
# rules carry no components to split on. A branch terminal that installs
# it gets an unused server whose unit never starts (no store there).
# Maintainer scripts: packaging/deb/ (the system user, the unit enabled and
# never started, no mixing with a /usr/local build).

# The service's files come from server/CMakeLists.txt: the unit (into
# KT_SYSTEMD_UNITDIR, /lib/systemd/system for /usr; its
# ConditionPathExists keeps an enabled service from starting before
# `kartotekad init`), /etc/kartoteka/kartotekad.conf (written when absent)
# and its .example. Every file under /etc becomes a conffile here.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kartoteka)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Kartoteka maintainers <kartoteka@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "client base (CRM) for businesses with branches: server, CLI and terminal UI")
set(CPACK_PACKAGE_DESCRIPTION
  "Kartoteka keeps the client cards of a business with several branches on
one server (kartotekad, a systemd service) and lets the branches work with
it over an encrypted protocol from a command line (kartoteka) and a
terminal UI for the front desk (kartoteka-tui). Terminals are enrolled
with one-time invite codes; every change goes into a hash-chained audit
log.")
# The binaries' compiled-in paths (the catalogues, the unit's ExecStart)
# are those of CMAKE_INSTALL_PREFIX, so the package installs exactly there;
# cmake/KtCPackCheck.cmake refuses to package anything but /usr.
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PROJECT_CONFIG_FILE ${CMAKE_SOURCE_DIR}/cmake/KtCPackCheck.cmake)
set(KT_CPACK_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binaries (dpkg-shlibdeps), plus what the
# maintainer scripts call.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, init-system-helpers")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/packaging/deb/preinst
  ${CMAKE_SOURCE_DIR}/packaging/deb/postinst
  ${CMAKE_SOURCE_DIR}/packaging/deb/prerm
  ${CMAKE_SOURCE_DIR}/packaging/deb/postrm
  ${CMAKE_BINARY_DIR}/cpack/conffiles)
# conffiles: written by cmake/KtDebConffiles.cmake from the staged /etc.
set(CPACK_KT_DEB_CONFFILES ${CMAKE_BINARY_DIR}/cpack/conffiles)
file(WRITE ${CPACK_KT_DEB_CONFFILES} "")
set(CPACK_PRE_BUILD_SCRIPTS ${CMAKE_SOURCE_DIR}/cmake/KtDebConffiles.cmake)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
