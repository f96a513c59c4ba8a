/* SPDX-License-Identifier: MIT */
/* Shared main() for cmocka unit tests: `test_x NAME` runs only test NAME,
 * so ctest can register each test as its own entry. A NAME that matches no
 * test is an error, so a typo in a tests.cmake file cannot pass silently. */
#ifndef KT_TEST_H
#define KT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define KT_TEST_MAIN(group)                                              \
	int main(int argc, char **argv)                                  \
	{                                                                \
		if (argc > 1) {                                          \
			size_t kt_i, kt_n = sizeof(group) / sizeof(group[0]); \
			for (kt_i = 0; kt_i < kt_n; kt_i++)              \
				if (group[kt_i].name != NULL &&          \
				    strcmp(group[kt_i].name, argv[1]) == 0) \
					break;                           \
			if (kt_i == kt_n) {                              \
				fprintf(stderr, "no test named '%s'\n",  \
				    argv[1]);                            \
				return 1;                                \
			}                                                \
			cmocka_set_test_filter(argv[1]);                 \
		}                                                        \
		return cmocka_run_group_tests(group, NULL, NULL);        \
	}

#endif
