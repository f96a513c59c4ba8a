# SPDX-License-Identifier: MIT
# Run by `cmake --install` before any file is copied (cmake/KtNoMix.cmake),
# or alone: cmake -DCMAKE_INSTALL_PREFIX=/usr/local -P cmake/KtNoMixCheck.cmake
# Stops a source build's install to the real root when the Debian package
# kartoteka is installed. DESTDIR installs are not checked;
# KT_INSTALL_FORCE=1 in the environment skips the check.
if("$ENV{DESTDIR}" STREQUAL "" AND NOT "$ENV{KT_INSTALL_FORCE}" STREQUAL "1"
    AND NOT CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  execute_process(COMMAND dpkg-query -s kartoteka
    OUTPUT_VARIABLE kt_pkg_status ERROR_QUIET RESULT_VARIABLE kt_rc)
  if(kt_rc EQUAL 0 AND kt_pkg_status MATCHES "Status: install ok installed")
    message(FATAL_ERROR "The Debian package kartoteka is installed on this "
      "machine (in /usr): do not install a source build next to it. "
      "Remove it first (apt-get remove kartoteka; the data in "
      "/var/lib/kartoteka stays), or set KT_INSTALL_FORCE=1 to install anyway.")
  endif()
endif()
