# SPDX-License-Identifier: MIT
# A source build installed to /usr/local and the Debian package (which
# installs to /usr) must not live on one machine: two kartotekad, two
# units of the same name, one of which systemd silently prefers
# (/etc/systemd/system over /lib/systemd/system). The package refuses to
# install over a /usr/local build (packaging/deb/preinst); this is the
# other direction: cmake/KtNoMixCheck.cmake stops `cmake --install` to the
# real root when the package is installed. Included before the
# subdirectories, so that it runs before any file is copied.
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/KtNoMixCheck.cmake)
