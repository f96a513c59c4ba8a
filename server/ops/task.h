/* SPDX-License-Identifier: MIT */
/* What the task ops share with the agenda (ops/agenda.c): a task as the
 * wire shows it, when it is overdue, and the calendar arithmetic of due
 * days in a branch's time zone. */
#ifndef KT_OPS_TASK_H
#define KT_OPS_TASK_H

#include <stdint.h>

#include "arena.h"
#include "kartoteka.pb-c.h"
#include "model/bizday.h"
#include "model/store.h"
#include "records.pb-c.h"

/* Days since 1970-01-01 of the civil date y-m-d, and back. */
int64_t kt_task_days_from_civil(int64_t y, unsigned m, unsigned d);
void kt_task_civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d);

/* Reads "YYYY-MM-DD" at s (its first 10 characters) into *day (days
 * since 1970). Returns 0, or -1 for anything else or a day that does not
 * exist (2026-02-30). */
int kt_task_parse_day(const char *s, int64_t *day);

/* The unix time of minute (after midnight) of local day in tz. */
int64_t kt_task_local_time(const kt_tz_t *tz, int64_t day, unsigned minute);

/* 1 when task t is open and past due at now: an all-day task once its
 * day has ended in tz (its branch's zone), a timed one once its time has
 * passed. */
int kt_task_overdue(const kt_tz_t *tz, const Ktstore__TaskRecord *t,
    int64_t now);

/* kt_task_wire fills w from t, its strings in arena a (names read inside
 * txn; the due text and the overdue flag in the zone of t's branch from
 * tzc). Nothing points into LMDB. Returns 0 or KT_ENOMEM. */
int kt_task_wire(kt_tzcache_t *tzc, MDB_txn *txn, const kt_store_dbs_t *db,
    kt_arena_t *a, const Ktstore__TaskRecord *t, int64_t now,
    Kartoteka__Task *w);

#endif
