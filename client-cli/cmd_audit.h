/* SPDX-License-Identifier: MIT */
/* The one way the CLI prints a user's activity per day (audit summary,
 * and user offboard, which prints the leaver's). */
#ifndef KT_CMD_AUDIT_H
#define KT_CMD_AUDIT_H

#include "kartoteka.pb-c.h"

/* Prints s as a table, one line per day and a total, on stdout. */
void cli_audit_summary_text(const Kartoteka__AuditSummaryResponse *s);

/* Prints s as a JSON object (no key before it) on stdout. */
void cli_audit_summary_json(const Kartoteka__AuditSummaryResponse *s);

#endif
