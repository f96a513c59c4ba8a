# SPDX-License-Identifier: MIT
# cmake -DNM=nm -DBIN=<test binary> -P fake_net_only.cmake (a script, kept
# out of tests/*/ so the glob of tests/CMakeLists.txt does not include it)
# Fails when the test binary holds server/net/net.c's object: its tests
# would then run against real sockets code, not the fake network. The
# objects a binary was linked from show as file symbols ("a net.c").
execute_process(COMMAND ${NM} -a ${BIN} OUTPUT_VARIABLE syms
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cannot run ${NM} -a ${BIN}")
endif()
if(NOT syms MATCHES "[ \t]a fake_net\\.c\n")
  message(FATAL_ERROR "${BIN}: no file symbol of fake_net.c: cannot tell "
    "which network it was linked with (stripped?)")
endif()
if(syms MATCHES "[ \t]a net\\.c\n")
  message(FATAL_ERROR "${BIN} links server/net/net.c: the real network "
    "replaced the fake one (fake_net.c must define every function of "
    "net.h, and be linked before kt_server)")
endif()
message(STATUS "${BIN}: fake network only")
