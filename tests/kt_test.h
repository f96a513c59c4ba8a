/* SPDX-License-Identifier: MIT */
/* Shared main() for cmocka unit tests: `test_x NAME` runs only test NAME,
 * so ctest can register each test as its own entry. */
#ifndef KT_TEST_H
#define KT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define KT_TEST_MAIN(group)                                              \
	int main(int argc, char **argv)                                  \
	{                                                                \
		if (argc > 1)                                            \
			cmocka_set_test_filter(argv[1]);                 \
		return cmocka_run_group_tests(group, NULL, NULL);        \
	}

#endif
