/* SPDX-License-Identifier: MIT */
/* The audit domain's pieces other ops reuse: the business days of a
 * day-by-day activity summary (model/audit.h's kt_audit_summary) and the
 * summary as its wire message, which `audit summary` answers and
 * offboarding prints. */
#ifndef KT_OPS_AUDIT_H
#define KT_OPS_AUDIT_H

#include <stdint.h>

#include "arena.h"
#include "kartoteka.pb-c.h"
#include "model/audit.h"
#include "model/bizday.h"

/* kt_audit_summary_days sets start_ms and date of days[0..n-1] to the n
 * business days of zone tz that end with the day of now_ms (oldest
 * first), and *end_ms to the end of that last day: what kt_audit_summary
 * counts over. */
void kt_audit_summary_days(const kt_tz_t *tz, int64_t now_ms, unsigned n,
    kt_audit_day_t *days, int64_t *end_ms);

/* kt_audit_summary_message fills out for login from n days (oldest
 * first) and the number of entries read.
 *   [borrows] out's strings and arrays live in arena a (login too is
 *             copied there)
 * Returns 0 or KT_ENOMEM. */
int kt_audit_summary_message(kt_arena_t *a, const char *login,
    const kt_audit_day_t *days, unsigned n, uint64_t nread,
    Kartoteka__AuditSummaryResponse *out);

#endif
