# SPDX-License-Identifier: MIT
# Run by cpack (CPACK_PRE_BUILD_SCRIPTS) once the files are staged: every
# file the package puts under /etc is a conffile (dpkg keeps the owner's
# edits on upgrade and asks), as debhelper would mark it. CPack's DEB
# generator marks none by itself. Writes the control file conffiles that
# CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA names; empty when there is none.
file(GLOB_RECURSE kt_etc LIST_DIRECTORIES false
  RELATIVE "${CPACK_TEMPORARY_DIRECTORY}" "${CPACK_TEMPORARY_DIRECTORY}/etc/*")
set(kt_list "")
foreach(f ${kt_etc})
  string(APPEND kt_list "/${f}\n")
endforeach()
file(WRITE "${CPACK_KT_DEB_CONFFILES}" "${kt_list}")
message(STATUS "kartoteka: conffiles: ${kt_etc}")
