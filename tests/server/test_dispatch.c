/* SPDX-License-Identifier: MIT */
/* Tests for server/dispatch.c: the op table covers the protocol exactly
 * (every Request oneof member has one row, no row names anything else),
 * and every row is well-formed. */
#include <string.h>

#include "kt_test.h"

#include "dispatch.h"
#include "kartoteka.pb-c.h"
#include "model/authz.h"

/* Counts the rows of op across every domain. */
static unsigned
rows_of(unsigned op)
{
	const kt_op_domain_t *const *d;
	unsigned n = 0;
	size_t nd;

	d = kt_dispatch_domains(&nd);
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < d[i]->n; j++)
			n += (unsigned)d[i]->rows[j].op == op;
	return n;
}

static void
every_oneof_member_has_one_row(void **state)
{
	const ProtobufCMessageDescriptor *desc = &kartoteka__request__descriptor;
	unsigned members = 0;

	(void)state;
	for (unsigned i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		unsigned n;

		if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
			continue;
		members++;
		n = rows_of(f->id);
		if (n != 1)
			fail_msg("Request.%s (op %u) has %u rows in the op table, "
			    "expected exactly 1", f->name, f->id, n);
		assert_non_null(kt_dispatch_row(f->id));
	}
	assert_true(members >= 26);
}

static void
no_row_outside_the_oneof(void **state)
{
	const kt_op_domain_t *const *d;
	size_t nd, rows = 0;

	(void)state;
	d = kt_dispatch_domains(&nd);
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < d[i]->n; j++) {
			const kt_op_row_t *row = &d[i]->rows[j];
			const ProtobufCFieldDescriptor *f =
			    protobuf_c_message_descriptor_get_field(
			    &kartoteka__request__descriptor,
			    (unsigned)row->op);
			if (f == NULL || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF))
				fail_msg("domain %s: row %zu names op %d, which "
				    "is not a Request oneof member", d[i]->name,
				    j, (int)row->op);
			rows++;
		}
	assert_null(kt_dispatch_row(0));
	assert_null(kt_dispatch_row(1)); /* Request.id */
	assert_true(rows >= 26);
}

static void
rows_well_formed(void **state)
{
	const kt_op_domain_t *const *d;
	size_t nd;

	(void)state;
	d = kt_dispatch_domains(&nd);
	for (size_t i = 0; i < nd; i++) {
		assert_non_null(d[i]->name);
		for (size_t j = 0; j < d[i]->n; j++) {
			const kt_op_row_t *row = &d[i]->rows[j];

			assert_non_null(row->handler);
			assert_non_null(row->label);
			assert_true(strlen(row->label) > 0);
			assert_true((unsigned)row->action < KT_ACT_COUNT);
			assert_true((unsigned)row->audit <
			    KT_AUDIT_ACTION_COUNT);
			/* An op that writes is audited. */
			if (row->flags & KT_OP_WRITE)
				assert_int_not_equal(row->audit, KT_AUDIT_NONE);
			/* Once logged in, only the caller's own-session
			 * ops (whoami) go unaudited. */
			if (row->phase == KT_PHASE_LOGGED_IN &&
			    row->action != KT_ACT_OWN_SESSION)
				assert_int_not_equal(row->audit, KT_AUDIT_NONE);
			/* The per-address limit is for ops before login. */
			if (row->flags & KT_OP_ADDR_LIMIT)
				assert_int_equal(row->phase, KT_PHASE_ANY);
		}
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(every_oneof_member_has_one_row),
	cmocka_unit_test(no_row_outside_the_oneof),
	cmocka_unit_test(rows_well_formed),
};

KT_TEST_MAIN(tests)
