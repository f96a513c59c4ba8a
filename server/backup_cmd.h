/* SPDX-License-Identifier: MIT */
/* kartotekad's offline backup commands (docs/BACKUP.md): `backup` writes
 * an encrypted backup of a data directory (the server may be running),
 * `backup verify` checks one without restoring it, and `restore` brings
 * one back into a new directory. Each prints what it did or why not, and
 * returns the process's exit code. */
#ifndef KT_BACKUP_CMD_H
#define KT_BACKUP_CMD_H

#include <stddef.h>

/* The passphrase is pass (passlen bytes): the caller's, wiped by it. */
int kt_backup_cmd_make(const char *data, const char *out, const char *pass,
    size_t passlen);
int kt_backup_cmd_verify(const char *file, const char *pass, size_t passlen);
/* old (may be NULL): the store the backup replaces, read only, for the
 * list of what changed there since the backup. */
int kt_backup_cmd_restore(const char *file, const char *data,
    const char *old, const char *pass, size_t passlen);

#endif
