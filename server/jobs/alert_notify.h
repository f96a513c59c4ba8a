/* SPDX-License-Identifier: MIT */
/* Passing alerts to an external command (`kartotekad run --alert-command
 * CMD`): each alert, in id order, is written as one JSON object to the
 * standard input of `/bin/sh -c CMD`, off the loop (a child process the
 * loop only watches), one at a time. Exit status 0 marks it passed
 * (meta "alert_sent", so a restart goes on where it stopped); a failure
 * or a command that runs longer than 60 s is logged and retried later,
 * waiting twice as long each time (from 5 s up to 10 minutes). Requests
 * never wait for it. */
#ifndef KT_ALERT_NOTIFY_H
#define KT_ALERT_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "model/store.h"
#include "model/writer.h"
#include "records.pb-c.h"

typedef struct kt_alert_notify kt_alert_notify_t;

/* kt_alert_notify_start prepares passing alerts to cmd on loop (a NULL or
 * empty cmd: nothing to do, *out NULL). The store and writer are
 * borrowed until kt_alert_notify_stop. Returns 0 or KT_ENOMEM. */
int kt_alert_notify_start(kt_alert_notify_t **out, uv_loop_t *loop,
    kt_store_t *st, kt_writer_t *w, const char *cmd);

/* Looks for the next alert to pass and starts the command for it when
 * none is running and no retry is pending. Call on every tick of the
 * loop (about once a second). NULL is fine. */
void kt_alert_notify_tick(kt_alert_notify_t *n);

/* Stops: a running command is killed. n is freed once its handles are
 * closed (the loop must run a little more). NULL is fine. */
void kt_alert_notify_stop(kt_alert_notify_t *n);

/* The JSON of alert rec into out (cap bytes; cut alerts are never
 * produced: KT_ETOOBIG), with login and terminal already resolved.
 * [out] *len the length. Returns 0 or KT_ETOOBIG. */
int kt_alert_json(const Ktstore__AlertRecord *rec, const char *login,
    const char *terminal, char *out, size_t cap, size_t *len);

#endif
