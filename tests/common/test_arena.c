/* SPDX-License-Identifier: MIT */
/* Tests for common/arena.c: bump allocation, overflow to the heap, the
 * limit, reset, and protobuf-c decoding through the arena. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "arena.h"
#include "kartoteka.pb-c.h"

static void
bump_and_align(void **state)
{
	kt_arena_t a;
	(void)state;
	assert_int_equal(kt_arena_init(&a, 1024, 1 << 20), 0);
	char *p = kt_arena_alloc(&a, 3);
	char *q = kt_arena_alloc(&a, 8);
	assert_non_null(p);
	assert_non_null(q);
	assert_true(q > p);
	assert_int_equal((uintptr_t)q % alignof(max_align_t), 0);
	memset(q, 0xaa, 8);
	kt_arena_free(&a);
}

static void
overflow_to_heap_and_reset(void **state)
{
	kt_arena_t a;
	(void)state;
	assert_int_equal(kt_arena_init(&a, 64, 1 << 20), 0);
	void *big = kt_arena_alloc(&a, 4096);
	assert_non_null(big);
	memset(big, 1, 4096);
	assert_int_equal(a.big_bytes, 4096);
	kt_arena_reset(&a);
	assert_int_equal(a.big_bytes, 0);
	assert_int_equal(a.used, 0);
	assert_non_null(kt_arena_alloc(&a, 32));
	kt_arena_free(&a);
}

static void
limit_refuses(void **state)
{
	kt_arena_t a;
	(void)state;
	assert_int_equal(kt_arena_init(&a, 256, 1000), 0);
	assert_non_null(kt_arena_alloc(&a, 200));
	assert_null(kt_arena_alloc(&a, 900));
	assert_non_null(kt_arena_alloc(&a, 700));
	assert_null(kt_arena_alloc(&a, 200));
	kt_arena_free(&a);
}

static void
protobuf_unpack(void **state)
{
	kt_arena_t a;
	Kartoteka__Request req = KARTOTEKA__REQUEST__INIT;
	Kartoteka__LoginRequest lr = KARTOTEKA__LOGIN_REQUEST__INIT;
	uint8_t buf[256];
	size_t n;
	(void)state;

	req.id = 42;
	req.op_case = KARTOTEKA__REQUEST__OP_LOGIN;
	lr.login = "anna";
	lr.password = "secret-password";
	req.login = &lr;
	n = kartoteka__request__pack(&req, buf);
	assert_int_equal(kt_arena_init(&a, 4096, 1 << 16), 0);
	Kartoteka__Request *got = kartoteka__request__unpack(&a.pb, n, buf);
	assert_non_null(got);
	assert_int_equal(got->id, 42);
	assert_string_equal(got->login->login, "anna");
	kt_arena_reset(&a);
	/* Garbage fails cleanly; the partial message is released by reset. */
	memset(buf, 0xff, sizeof(buf));
	assert_null(kartoteka__request__unpack(&a.pb, sizeof(buf), buf));
	kt_arena_reset(&a);
	/* A limit too small for the message makes unpack fail, not crash. */
	kt_arena_free(&a);
	assert_int_equal(kt_arena_init(&a, 16, 16), 0);
	n = kartoteka__request__pack(&req, buf);
	assert_null(kartoteka__request__unpack(&a.pb, n, buf));
	kt_arena_free(&a);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(bump_and_align),
	cmocka_unit_test(overflow_to_heap_and_reset),
	cmocka_unit_test(limit_refuses),
	cmocka_unit_test(protobuf_unpack),
};

KT_TEST_MAIN(tests)
