/* SPDX-License-Identifier: MIT */
/* Tests for server/limiter.c: the per-minute budget of an address, the
 * window rolling over, refunds, and what counts as one address (IPv4,
 * IPv6, ports ignored). Times are the explicit now_ms of the calls. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "kt_test.h"

#include "limiter.h"

#define T0 1800000000000ull   /* ms */
#define MINUTE 60000ull

static struct sockaddr_storage
v4(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage
v6(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin6_family = AF_INET6;
	in->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &in->sin6_addr), 1);
	return ss;
}

static kt_limiter_t *
limiter(unsigned per_minute)
{
	kt_limiter_t *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->per_minute = per_minute;
	return l;
}

static void
budget_per_minute(void **state)
{
	kt_limiter_t *l = limiter(3);
	struct sockaddr_storage a = v4("192.0.2.1", 4000);
	struct sockaddr_storage b = v4("192.0.2.2", 4000);

	(void)state;
	assert_true(kt_limiter_allowed(l, &a, T0));
	assert_int_equal(kt_limiter_fail(l, &a, T0), 1);
	assert_true(kt_limiter_allowed(l, &a, T0 + 1));
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 2), 2);
	assert_true(kt_limiter_allowed(l, &a, T0 + 3));
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 4), 3);
	assert_false(kt_limiter_allowed(l, &a, T0 + 5));
	/* Charged on, it keeps counting. */
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 6), 4);
	assert_false(kt_limiter_allowed(l, &a, T0 + 7));
	/* Another address has its own budget. */
	assert_true(kt_limiter_allowed(l, &b, T0 + 7));
	assert_int_equal(kt_limiter_fail(l, &b, T0 + 7), 1);
	free(l);
}

static void
window_rolls_over(void **state)
{
	kt_limiter_t *l = limiter(2);
	struct sockaddr_storage a = v4("198.51.100.7", 1);

	(void)state;
	assert_int_equal(kt_limiter_fail(l, &a, T0), 1);
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 30000), 2);
	assert_false(kt_limiter_allowed(l, &a, T0 + MINUTE - 1));
	/* The minute counts from the first failure in it. */
	assert_true(kt_limiter_allowed(l, &a, T0 + MINUTE));
	assert_int_equal(kt_limiter_fail(l, &a, T0 + MINUTE), 1);
	assert_true(kt_limiter_allowed(l, &a, T0 + MINUTE + 1));
	assert_int_equal(kt_limiter_fail(l, &a, T0 + MINUTE + 1), 2);
	assert_false(kt_limiter_allowed(l, &a, T0 + 2 * MINUTE - 1));
	assert_true(kt_limiter_allowed(l, &a, T0 + 5 * MINUTE));
	free(l);
}

static void
refund_same_window(void **state)
{
	kt_limiter_t *l = limiter(2);
	struct sockaddr_storage a = v4("203.0.113.9", 5000);
	struct sockaddr_storage b = v4("203.0.113.10", 5000);

	(void)state;
	/* An attempt charged and then refunded leaves the budget whole. */
	assert_int_equal(kt_limiter_fail(l, &a, T0), 1);
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 1), 2);
	assert_false(kt_limiter_allowed(l, &a, T0 + 2));
	kt_limiter_refund(l, &a, T0 + 3);
	assert_true(kt_limiter_allowed(l, &a, T0 + 4));
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 5), 2);
	/* Another address's refund is not a's. */
	kt_limiter_refund(l, &b, T0 + 6);
	assert_false(kt_limiter_allowed(l, &a, T0 + 7));

	/* A refund never goes below zero. */
	kt_limiter_refund(l, &a, T0 + 8);
	kt_limiter_refund(l, &a, T0 + 9);
	kt_limiter_refund(l, &a, T0 + 10);
	assert_true(kt_limiter_allowed(l, &a, T0 + 11));
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 12), 1);
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 13), 2);
	assert_false(kt_limiter_allowed(l, &a, T0 + 14));

	/* After the minute (its window opened with the charge at T0 + 12,
	 * the first after the count went back to 0), a refund belongs to no
	 * window: the new one keeps its count. */
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 12 + MINUTE), 1);
	kt_limiter_refund(l, &a, T0 + 2 * MINUTE);
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 2 * MINUTE), 1);
	assert_int_equal(kt_limiter_fail(l, &a, T0 + 2 * MINUTE + 1), 2);
	free(l);
}

static void
colliding_addresses_share_a_budget(void **state)
{
	kt_limiter_t *l = limiter(2);
	struct sockaddr_storage a = v4("10.0.0.1", 1), b;
	unsigned i;

	(void)state;
	/* Find an address b in a's slot: charging it counts on a's charge.
	 * (The hash key is all zeros here, so the search is repeatable.) */
	assert_int_equal(kt_limiter_fail(l, &a, T0), 1);
	for (i = 0; i < 1u << 16; i++) {
		struct sockaddr_in *in = (struct sockaddr_in *)&b;

		b = v4("10.1.0.0", 1);
		in->sin_addr.s_addr = htonl(ntohl(in->sin_addr.s_addr) + i);
		if (kt_limiter_fail(l, &b, T0) == 2)
			break;
		kt_limiter_refund(l, &b, T0);
	}
	assert_true(i < 1u << 16);
	/* One budget for both: neither is let through by the other's
	 * charge (a slot taken over used to start again from 0). */
	assert_false(kt_limiter_allowed(l, &a, T0 + 1));
	assert_false(kt_limiter_allowed(l, &b, T0 + 1));
	kt_limiter_refund(l, &a, T0 + 2);
	assert_true(kt_limiter_allowed(l, &b, T0 + 3));
	assert_int_equal(kt_limiter_fail(l, &b, T0 + 4), 2);
	assert_false(kt_limiter_allowed(l, &a, T0 + 5));
	free(l);
}

static void
random_keys_differ(void **state)
{
	kt_limiter_t *x = calloc(1, sizeof(*x)), *y = calloc(1, sizeof(*y));

	(void)state;
	assert_non_null(x);
	assert_non_null(y);
	kt_limiter_init(x, 5);
	kt_limiter_init(y, 5);
	assert_int_equal(x->per_minute, 5);
	/* Two servers choose their slots differently. */
	assert_memory_not_equal(x->key, y->key, sizeof(x->key));
	free(x);
	free(y);
}

static void
addresses_and_ports(void **state)
{
	kt_limiter_t *l = limiter(100);
	struct sockaddr_storage a1 = v4("192.0.2.1", 1000);
	struct sockaddr_storage a2 = v4("192.0.2.1", 2000);
	struct sockaddr_storage mapped = v6("::ffff:192.0.2.1", 3000);
	struct sockaddr_storage x1 = v6("2001:db8::1", 1000);
	struct sockaddr_storage x2 = v6("2001:db8::1", 2000);
	struct sockaddr_storage y = v6("2001:db8::2", 1000);
	struct sockaddr_storage other4 = v4("192.0.2.2", 1000);

	(void)state;
	/* Ports are not part of the address. */
	assert_int_equal(kt_limiter_fail(l, &a1, T0), 1);
	assert_int_equal(kt_limiter_fail(l, &a2, T0), 2);
	/* An IPv4 peer on a dual-stack socket is the same peer. */
	assert_int_equal(kt_limiter_fail(l, &mapped, T0), 3);
	assert_int_equal(kt_limiter_fail(l, &other4, T0), 1);
	/* IPv6 likewise, each address its own. */
	assert_int_equal(kt_limiter_fail(l, &x1, T0), 1);
	assert_int_equal(kt_limiter_fail(l, &x2, T0), 2);
	assert_int_equal(kt_limiter_fail(l, &y, T0), 1);
	assert_int_equal(kt_limiter_fail(l, &a1, T0), 4);
	kt_limiter_refund(l, &x2, T0);
	assert_int_equal(kt_limiter_fail(l, &x1, T0), 2);
	free(l);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(budget_per_minute),
	cmocka_unit_test(window_rolls_over),
	cmocka_unit_test(refund_same_window),
	cmocka_unit_test(colliding_addresses_share_a_budget),
	cmocka_unit_test(random_keys_differ),
	cmocka_unit_test(addresses_and_ports),
};

KT_TEST_MAIN(tests)
