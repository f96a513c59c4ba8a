/* SPDX-License-Identifier: MIT */
/* The server's one context struct: everything the running kartotekad
 * owns (options, store, writer, network, keys, limits), and starting and
 * stopping it. The only mutable state of the process lives here. */
#ifndef KT_SERVER_H
#define KT_SERVER_H

#include <stdint.h>

#include <sodium.h>
#include <uv.h>

#include "arena.h"
#include "frame.h"
#include "limiter.h"
#include "model/bizday.h"
#include "model/store.h"
#include "model/writer.h"
#include "net/net.h"

#define KT_SERVER_VERSION "kartotekad 0.1.0"

/* Tunables; every one has a command-line option of `kartotekad run`. */
typedef struct kt_server_opts {
	const char *data_dir;
	const char *listen;               /* "127.0.0.1:7700" */
	unsigned max_conns;               /* 1024 */
	unsigned handshake_timeout_ms;    /* 10000 */
	unsigned idle_timeout_ms;         /* 600000 */
	size_t write_queue_max;           /* stop reading above this: 1 MiB */
	int64_t session_ttl_s;            /* 12 h */
	unsigned login_delay_after;       /* failures before delays start: 3 */
	unsigned login_delay_max_ms;      /* cap of the growing delay: 8000 */
	unsigned lockout_after;           /* failures that lock the login: 10 */
	int64_t lockout_s;                /* lock duration: 900 */
	unsigned enroll_failures_per_min; /* per remote address: 10 */
	unsigned stop_grace_ms;           /* drain time on SIGTERM: 10000 */
	const char *phone_country;        /* country calling code for phones
					     typed without "+": "7" */
	const char *time_zone;            /* of branches without one: "" =
					     the system's (/etc/localtime) */
	const char *zoneinfo;             /* tz database directory, NULL =
					     /usr/share/zoneinfo (tests) */
	const char *alert_command;        /* run for each alert, JSON on its
					     stdin; NULL = none */
	int64_t session_idle_s;           /* a session unused this long ends;
					     0: 15 min on branch terminals,
					     2 h on owner terminals */
	const char *backup_dir;           /* scheduled backups, NULL: none */
	int64_t backup_every_s;           /* 24 h */
	unsigned backup_keep;             /* backups kept: 14 */
	const char *backup_pass;          /* the passphrase (its file's first
					     line), the caller's */
	size_t backup_pass_len;
	unsigned long long backup_opslimit; /* Argon2id's cost for the owner's
					     backups over the protocol; 0, 0: */
	size_t backup_memlimit;           /* KT_BACKUP_OPSLIMIT/MEMLIMIT (unit
					     tests lower it) */
	size_t max_store_bytes;           /* --max-store-size: the store's cap
					     (0: the filesystem's room) */
} kt_server_opts_t;

void kt_server_opts_default(kt_server_opts_t *o);

typedef struct kt_server {
	kt_server_opts_t opts;
	uv_loop_t *loop;
	kt_store_t *store;
	kt_writer_t *writer;
	kt_net_t *net;                    /* NULL once stopped */
	uint8_t static_priv[32];          /* Noise static key */
	uint8_t static_pub[32];
	uint8_t sign_sk[64];              /* Ed25519 audit checkpoint key */
	uint8_t sign_pk[32];
	char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown logins */
	uint64_t terminals_gen;           /* meta "terminals_gen" last seen */
	int stopping;                     /* SIGTERM seen: draining */
	uint64_t next_maintenance_ms;     /* uv_now of the next sweep */
	kt_tzcache_t *tz;                 /* time zones of the business days */
	struct kt_alert_notify *notify;   /* --alert-command, or NULL */
	struct kt_catalog *catalog;       /* the answers' languages; NULL:
					     English only */
	kt_limiter_t enroll_limit;        /* failed enrolments per address,
					     per fixed minute */
	kt_arena_t req_arena;             /* the decoded request being
					     dispatched; reset after each */
	MDB_txn *loop_txn;                /* the read transaction of the
					     handler or callback running on
					     the loop (req.c) */
	uint8_t reply_buf[KT_FRAME_MAX];  /* a Response packed on the loop */
	uv_signal_t sig_term, sig_int;    /* graceful stop */
	/* Scheduled backups (--backup-dir): one at a time, on the pool. */
	uv_work_t backup_work;
	int backup_busy;
	int backup_late_said;             /* the late alert, once a lateness */
	int64_t backup_next_s;            /* unix time of the next one */
	int64_t backup_last_ok_s;         /* of the last good one (0: none) */
	struct kt_backup_result *backup_res; /* the running one's */
	/* A full store (docs/SAFETY.md), from the writer's counters. */
	int disk_full;                    /* writes are refused for space */
	int disk_full_alert_owed;         /* its alert is not committed yet */
	int disk_full_alerting;           /* its alert is in the writer */
	uint64_t full_seen;               /* kt_writer_stats_t.full seen */
} kt_server_t;

/* kt_server_run opens the store and keys, listens, serves until SIGTERM or
 * SIGINT, then drains and returns 0, or a KT_E* code when it cannot start
 * (message already printed to stderr). */
int kt_server_run(const kt_server_opts_t *opts);

#endif
