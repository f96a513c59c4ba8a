/* SPDX-License-Identifier: MIT */
/* The LMDB store: one environment, named databases, schema version, id
 * counters, and a map that grows before it is full. */
#ifndef KT_STORE_H
#define KT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

/* The layout this binary reads and writes. Every change of a record layout
 * or an index bumps it and adds a step to server/model/migrate.c (and a
 * fixture, tests/data/make-store-fixture.sh); docs/STORAGE.md. */
/* The layout this binary writes. 1: the first; 2: branch names indexed
 * folded. Every change comes with a step in model/migrate.c and a fixture
 * (docs/STORAGE.md, "Schema versions and migrations"). */
#define KT_STORE_SCHEMA 4u

/* The map starts at this size and doubles whenever a commit leaves it more
 * than 70 % used (see docs/STORAGE.md, "Map growth"). */
#define KT_STORE_MAP_INITIAL ((size_t)64 << 20)

typedef struct kt_store kt_store_t;

/* Named databases. Keys holding ids are 8-byte big-endian. */
typedef struct kt_store_dbs {
	MDB_dbi meta;           /* "schema" -> BE32, "ctr:<name>" -> BE64, misc */
	MDB_dbi branches;       /* id -> BranchRecord */
	MDB_dbi branch_names;   /* folded name -> id */
	MDB_dbi users;          /* id -> UserRecord */
	MDB_dbi user_logins;    /* login -> id */
	MDB_dbi terminals;      /* X25519 public key (32) -> TerminalRecord */
	MDB_dbi invites;        /* BLAKE2b-256(token) -> InviteRecord */
	MDB_dbi sessions;       /* BLAKE2b-256(token) -> SessionRecord */
	MDB_dbi login_failures; /* login -> LoginFailureRecord */
	MDB_dbi audit;          /* seq BE64 -> hash(32) || AuditEntry */
	MDB_dbi checkpoints;    /* seq BE64 -> AuditCheckpoint */
	/* Client cards and their indexes (server/client_store.h). The
	 * indexes marked (dup) are MDB_DUPSORT|MDB_DUPFIXED: one key, many
	 * client ids (BE64 values, sorted). */
	MDB_dbi clients;        /* id BE64 -> ClientRecord */
	MDB_dbi cx_phone;       /* (dup) E.164 phone -> id */
	MDB_dbi cx_email;       /* (dup) folded e-mail -> id */
	MDB_dbi cx_word;        /* (dup) folded name word -> id */
	MDB_dbi cx_branch;      /* (dup) branch BE64 -> id */
	MDB_dbi cx_manager;     /* (dup) manager BE64 -> id */
	MDB_dbi cx_birthday;    /* (dup) month, day, child flag (3 bytes) -> id */
	MDB_dbi cx_birthdate;   /* (dup) year BE16, month, day, child flag
				   (5 bytes; known years only) -> id */
	MDB_dbi cx_status;      /* (dup) status (1 byte), or a flag key:
				   "\xffA" archived, "\xffC" a consent date,
				   "\xffD" do-not-contact -> id */
	MDB_dbi cx_tag;         /* (dup) folded tag -> id */
	MDB_dbi cx_category;    /* (dup) category (1 byte) -> id */
	MDB_dbi cx_source;      /* (dup) folded source -> id */
	MDB_dbi cx_contract;    /* (dup) folded contract number -> id
				   (schema 4) */
	MDB_dbi cx_created;     /* created BE64 || id BE64 -> id BE64 */
	MDB_dbi alerts;         /* id BE64 -> AlertRecord */
	MDB_dbi user_days;      /* user BE64 || business day BE32 ->
				   UserDayRecord */
	MDB_dbi client_seen;    /* user BE64 || day BE32 || client BE64 ->
				   "" (shown in a list that day) */
	MDB_dbi client_history; /* client BE64 || version BE64 ->
				   ClientVersionRecord */
	/* The working day (schema 4). Each record type has its records by
	 * id and one index database whose keys start with a one-byte kind
	 * (the store module of the type says which kinds it keeps). */
	MDB_dbi interactions;   /* id BE64 -> InteractionRecord */
	MDB_dbi interaction_ix; /* kind byte || ... -> "" (interaction_store) */
	MDB_dbi deals;          /* id BE64 -> DealRecord */
	MDB_dbi deal_ix;        /* kind byte || ... -> "" (deal_store) */
	MDB_dbi tasks;          /* id BE64 -> TaskRecord */
	MDB_dbi task_ix;        /* kind byte || ... -> "" (task_store) */
	MDB_dbi client_activity; /* client BE64 -> ClientActivityRecord */
} kt_store_dbs_t;

enum {
	KT_STORE_CREATE = 1,   /* create the environment if missing */
	KT_STORE_RDONLY = 2,   /* open read-only (audit verify) */
	KT_STORE_OLDER = 4,    /* open an older schema (for its migration:
				  model/migrate.c; never with RDONLY) */
};

/* KT_STORE_RESTORING is the marker a restore writes into the data
 * directory before it renames its files into place, and removes once
 * every one is there (jobs/backup.c): while it exists the directory holds
 * part of one store and part of nothing, and kt_store_open_ex refuses it
 * (KT_ESTATE; kt_store_open_problem says to restore again). */
#define KT_STORE_RESTORING "RESTORING"

/* 1 when dir holds the marker of an interrupted restore. */
int kt_store_restore_interrupted(const char *dir);

/* kt_store_open opens (or with KT_STORE_CREATE creates) the store in dir,
 * at this binary's schema version. A store at an older version is
 * refused unless flags has KT_STORE_OLDER: commands and the server open
 * through kt_migrate_open (model/migrate.h), which migrates it first; see
 * docs/STORAGE.md, "Schema versions and migrations".
 *   [out] out  the store, to be closed with kt_store_close
 * Returns 0, KT_ENOTFOUND (no store and no KT_STORE_CREATE), KT_EPROTO
 * (schema version newer than this binary), KT_ESTATE (an older schema
 * without KT_STORE_OLDER, or read-only: a read-only open never
 * migrates), KT_ESTORE, KT_ENOMEM. */
int kt_store_open(kt_store_t **out, const char *dir, int flags);

struct kt_migrate_step;

/* Options for kt_store_open_ex; a zeroed struct means the defaults. */
typedef struct kt_store_opts {
	size_t map_size;  /* initial map size in bytes; 0 = KT_STORE_MAP_INITIAL.
	                   * A store whose map is already larger keeps its size. */
	uint32_t *schema_found; /* [out] if not NULL: the schema version the
	                   * store had (for one this open created, the version
	                   * it got), set also when the open fails; 0 when
	                   * none was read (no store, a malformed version).
	                   * For kt_store_open_problem. */
	/* Tests only: replace the built-in migration table (migrate.h) by
	 * migrate_nsteps rows at migrate_steps, and migrate to migrate_target
	 * instead of KT_STORE_SCHEMA, as if this binary knew up to that
	 * version. Used when migrate_steps is not NULL; the server never sets
	 * these. */
	const struct kt_migrate_step *migrate_steps;
	size_t migrate_nsteps;
	uint32_t migrate_target;
} kt_store_opts_t;

/* kt_store_open_ex is kt_store_open with options (opts may be NULL). */
int kt_store_open_ex(kt_store_t **out, const char *dir, int flags,
    const kt_store_opts_t *opts);

/* kt_store_open_problem writes into buf one sentence, without a newline,
 * saying why kt_store_open_ex(.., dir, .., opts) returned rc (not 0), for
 * the user; e.g. for a newer store:
 *   "the store in DIR has schema version 3, newer than this kartotekad
 *    (which knows up to 1): use a newer kartotekad"
 * For the schema cases it needs the version found: pass the opts given to
 * the open, with schema_found set (opts NULL or without it gives a
 * message without the found version). Other codes give
 * "cannot open the store in DIR: <kt_strerror(rc)>".
 *   [out] buf  cap bytes; the sentence is cut to fit, always terminated
 * Returns buf (a static "" when cap is 0). */
const char *kt_store_open_problem(int rc, const char *dir,
    const kt_store_opts_t *opts, char *buf, size_t cap);

/* kt_store_schema_get reads the schema version (meta "schema", BE32) in
 * txn. Returns 0, KT_ENOTFOUND, KT_ESTORE (not 4 bytes, or LMDB). */
int kt_store_schema_get(kt_store_t *st, MDB_txn *txn, uint32_t *version);

/* kt_store_schema_put writes the schema version inside the write
 * transaction txn (the migration runner does, in the transaction of the
 * step that makes the change).
 * Returns 0, KT_ENOSPC, KT_ESTORE. */
int kt_store_schema_put(kt_store_t *st, MDB_txn *txn, uint32_t version);

/* Closes the environment. Accepts NULL. No transaction may be active. */
void kt_store_close(kt_store_t *st);

MDB_env *kt_store_env(kt_store_t *st);
const kt_store_dbs_t *kt_store_dbs(const kt_store_t *st);

/* Read transactions. Short-lived; the loop and thread-pool jobs use them.
 * kt_store_read_begin may wait only while the writer grows the map.
 * A read transaction holds off map growth (LMDB can only remap with no
 * transaction active in the process), so keep it short, and do not call
 * kt_store_write_sync or kt_writer_stop while holding one in the same
 * thread: growing the map there would wait for it forever.
 *   [out] txn  a read-only transaction, to be ended with kt_store_read_end
 * Returns 0, KT_ESTORE. */
int kt_store_read_begin(kt_store_t *st, MDB_txn **txn);
void kt_store_read_end(kt_store_t *st, MDB_txn *txn); /* accepts NULL txn */

/* A mutation, run inside the writer's transaction. It must not keep
 * pointers into LMDB memory past its return. Return 0 to commit its
 * changes or a negative KT_E* code to undo them (they run in a nested
 * transaction, so a failing mutation leaves the others of the batch
 * intact).
 * A mutation may run more than once: when the map fills up (KT_ENOSPC from
 * LMDB) the whole transaction is aborted, the map grown and the mutation
 * run again from scratch. So it must not change *arg in a way that a
 * second run would trip over, and KT_ENOSPC must mean "map full" only. */
typedef int (*kt_store_mutation_fn)(kt_store_t *st, MDB_txn *txn, void *arg);

/* kt_store_write_sync runs one mutation in its own durable transaction in
 * the calling thread: for offline commands (init, invite, terminal revoke)
 * and the writer thread itself. Grows the map and retries on MDB_MAP_FULL.
 * Each retry doubles the map; after 4 retries it gives up with KT_ENOSPC.
 * A store error (KT_ESTORE: LMDB's EIO on a short write) or KT_ENOSPC
 * while the filesystem of the data directory has less than 1 MiB free is
 * the disk: KT_ENOSPC at once, without retrying.
 * The calling thread must not hold a read transaction (see above).
 * Returns the mutation's result, or KT_ESTORE / KT_ENOSPC / KT_EPERM
 * (store opened KT_STORE_RDONLY). */
int kt_store_write_sync(kt_store_t *st, kt_store_mutation_fn fn, void *arg);

/* kt_store_set_max_size caps the store: its map (and so its data file)
 * never grows past max bytes (0: no cap, the default), and the last
 * reserve bytes of it are only for kt_store_write_sync_reserve, so that
 * logins and the owner's alert still fit when everything else finds the
 * store full (kartotekad run --max-store-size; docs/SAFETY.md). Call
 * before the writer starts, with no transaction open. Returns 0 or
 * KT_EINVAL (reserve >= max, or max under four pages). */
int kt_store_set_max_size(kt_store_t *st, size_t max, size_t reserve);

/* kt_store_has_room: 1 when ordinary writes may fit again after the
 * store was full: a sixteenth of the cap free under it (which in one
 * process only a larger cap at the next start gives, since the used part
 * of LMDB's file never shrinks) and 1 MiB free on the filesystem of the
 * data directory; else 0. Any thread. */
int kt_store_has_room(kt_store_t *st);

/* kt_store_write_sync_reserve is kt_store_write_sync that may use the
 * reserve of a capped store; afterwards the map is shrunk back, so
 * ordinary writes still find it full. Same returns. */
int kt_store_write_sync_reserve(kt_store_t *st, kt_store_mutation_fn fn,
    void *arg);

/* kt_store_create_missing creates, inside write transaction txn, the
 * databases of this binary that an older store opened with
 * KT_STORE_OLDER lacks (they are not created at open, so that the copy
 * before its migration is the store as it was). Each migration step
 * calls it in its own transaction (model/migrate.c): the handles are
 * valid once one commits. Nothing for a store that lacks none. Returns
 * 0, KT_ESTORE, KT_ENOSPC. */
int kt_store_create_missing(kt_store_t *st, MDB_txn *txn);

/* kt_store_next_id increments counter "ctr:<name>" inside txn and returns
 * the new value (first id is 1). */
int kt_store_next_id(kt_store_t *st, MDB_txn *txn, const char *name,
    uint64_t *id); /* returns 0, KT_EINVAL, KT_ENOSPC, KT_ESTORE */

/* Helpers for 8-byte big-endian keys. */
void kt_store_be64(uint8_t out[static 8], uint64_t v);
uint64_t kt_store_get_be64(const uint8_t in[static 8]);

/* kt_store_get_record reads key from dbi and unpacks it with protobuf-c
 * descriptor desc. [out] *msg is allocated with the default allocator and
 * freed by the caller with protobuf_c_message_free_unpacked.
 * Returns 0, KT_ENOTFOUND, KT_ESTORE, KT_EPROTO (undecodable). */
struct ProtobufCMessageDescriptor;
struct ProtobufCMessage;
int kt_store_get_record(MDB_txn *txn, MDB_dbi dbi, const void *key,
    size_t keylen, const struct ProtobufCMessageDescriptor *desc,
    struct ProtobufCMessage **msg);

/* kt_store_get_record_with is kt_store_get_record unpacking with
 * allocator a (NULL: the default one). With an arena's allocator
 * (arena.h) nothing needs freeing piecemeal: the record lives until the
 * arena is reset. */
struct ProtobufCAllocator;
int kt_store_get_record_with(MDB_txn *txn, MDB_dbi dbi, const void *key,
    size_t keylen, const struct ProtobufCMessageDescriptor *desc,
    struct ProtobufCAllocator *a, struct ProtobufCMessage **msg);

/* kt_store_put_record packs msg and stores it under key. flags are
 * mdb_put flags (0 or MDB_NOOVERWRITE; the value is packed straight into
 * LMDB with MDB_RESERVE, so no DUPSORT databases). Returns 0, KT_ENOSPC
 * (map full: the writer grows and retries), KT_EEXIST (MDB_NOOVERWRITE and
 * the key exists), KT_ESTORE, KT_ENOMEM. */
int kt_store_put_record(MDB_txn *txn, MDB_dbi dbi, const void *key,
    size_t keylen, const struct ProtobufCMessage *msg, unsigned flags);

/* Converts an LMDB return code to a KT_E* code (0 -> 0, MDB_NOTFOUND ->
 * KT_ENOTFOUND, MDB_MAP_FULL and ENOSPC -> KT_ENOSPC, MDB_KEYEXIST ->
 * KT_EEXIST, ENOMEM -> KT_ENOMEM, others KT_ESTORE). */
int kt_store_err(int mdb_rc);

#endif
