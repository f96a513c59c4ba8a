/* SPDX-License-Identifier: MIT */
/* The audit log: a BLAKE2b-256 hash chain of AuditEntry records in LMDB,
 * Ed25519-signed checkpoints, and the verifier that finds the first entry
 * altered, removed or reordered. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "catalog.h"
#include "model/audit.h"
#include "kt_error.h"
#include "records.pb-c.h"

#define HASH_LEN 32                       /* BLAKE2b-256 */
#define SIG_LEN crypto_sign_BYTES         /* 64 */
#define TAIL_LEN (8 + HASH_LEN)           /* meta "audit_tail" value */
/* The signed message and the checkpoint file both start with this. */
#define CP_DOMAIN "kartoteka-audit/1"
#define CP_DOMAIN_LEN (sizeof CP_DOMAIN - 1)
#define CP_MSG_LEN (CP_DOMAIN_LEN + 8 + HASH_LEN)
#define CP_FILE_MAX 1024

static const char tail_key[] = "audit_tail";

/* One checkpoint, decoded (audit.h). */
typedef kt_audit_cp_t audit_cp_t;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* hash_n = BLAKE2b-256(hash_{n-1} || entry bytes as stored). */
static void
chain_hash(uint8_t out[static HASH_LEN], const uint8_t prev[static HASH_LEN],
    const uint8_t *entry, size_t len)
{
	crypto_generichash_state s;

	crypto_generichash_init(&s, NULL, 0, HASH_LEN);
	crypto_generichash_update(&s, prev, HASH_LEN);
	crypto_generichash_update(&s, entry, len);
	crypto_generichash_final(&s, out, HASH_LEN);
}

/* "kartoteka-audit/1" || BE64 seq || hash: what a checkpoint signs. */
static void
cp_message(uint8_t out[static CP_MSG_LEN], uint64_t seq,
    const uint8_t hash[static HASH_LEN])
{
	memcpy(out, CP_DOMAIN, CP_DOMAIN_LEN);
	kt_store_be64(out + CP_DOMAIN_LEN, seq);
	memcpy(out + CP_DOMAIN_LEN + 8, hash, HASH_LEN);
}

static void
cp_sign(audit_cp_t *cp, const uint8_t sk[static 64])
{
	uint8_t msg[CP_MSG_LEN];

	cp_message(msg, cp->seq, cp->hash);
	crypto_sign_detached(cp->sig, NULL, msg, sizeof msg, sk);
}

static bool
cp_sig_ok(const audit_cp_t *cp, const uint8_t pk[static 32])
{
	uint8_t msg[CP_MSG_LEN];

	cp_message(msg, cp->seq, cp->hash);
	return crypto_sign_verify_detached(cp->sig, msg, sizeof msg, pk) == 0;
}

/* Reads the chain tail. No tail: *seq = 0, hash = zeros (an empty chain).
 * Returns 0, KT_ESTORE (malformed), or an LMDB error converted. */
static int
tail_get(kt_store_t *st, MDB_txn *txn, bool *found, uint64_t *seq,
    uint8_t hash[static HASH_LEN])
{
	MDB_val k = { .mv_size = sizeof tail_key - 1,
	    .mv_data = (void *)tail_key };
	MDB_val v;
	int rc;

	*found = false;
	*seq = 0;
	memset(hash, 0, HASH_LEN);
	rc = mdb_get(txn, kt_store_dbs(st)->meta, &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return kt_store_err(rc);
	if (v.mv_size != TAIL_LEN)
		return KT_ESTORE;
	*found = true;
	*seq = kt_store_get_be64(v.mv_data);
	memcpy(hash, (uint8_t *)v.mv_data + 8, HASH_LEN);
	return 0;
}

static int
tail_put(kt_store_t *st, MDB_txn *txn, uint64_t seq,
    const uint8_t hash[static HASH_LEN])
{
	uint8_t buf[TAIL_LEN];
	MDB_val k = { .mv_size = sizeof tail_key - 1,
	    .mv_data = (void *)tail_key };
	MDB_val v = { .mv_size = sizeof buf, .mv_data = buf };

	kt_store_be64(buf, seq);
	memcpy(buf + 8, hash, HASH_LEN);
	return kt_store_err(mdb_put(txn, kt_store_dbs(st)->meta, &k, &v, 0));
}

static int
cp_put(kt_store_t *st, MDB_txn *txn, const audit_cp_t *cp)
{
	Ktstore__AuditCheckpoint m = KTSTORE__AUDIT_CHECKPOINT__INIT;
	uint8_t key[8];

	m.seq = cp->seq;
	m.hash.data = (uint8_t *)cp->hash;
	m.hash.len = HASH_LEN;
	m.signature.data = (uint8_t *)cp->sig;
	m.signature.len = SIG_LEN;
	m.time_ms = now_ms();
	kt_store_be64(key, cp->seq);
	return kt_store_put_record(txn, kt_store_dbs(st)->checkpoints, key,
	    sizeof key, &m.base, 0);
}

/* Decodes a stored checkpoint. Returns false if it is malformed or its
 * own seq differs from its key. */
static bool
cp_decode(const MDB_val *k, const MDB_val *v, audit_cp_t *cp)
{
	Ktstore__AuditCheckpoint *m;
	bool ok;

	if (k->mv_size != 8)
		return false;
	cp->seq = kt_store_get_be64(k->mv_data);
	m = ktstore__audit_checkpoint__unpack(NULL, v->mv_size, v->mv_data);
	if (m == NULL)
		return false;
	ok = m->seq == cp->seq && m->hash.len == HASH_LEN &&
	    m->signature.len == SIG_LEN;
	if (ok) {
		memcpy(cp->hash, m->hash.data, HASH_LEN);
		memcpy(cp->sig, m->signature.data, SIG_LEN);
	}
	ktstore__audit_checkpoint__free_unpacked(m, NULL);
	return ok;
}

/* ---- actions ---------------------------------------------------------- */

static const char *const action_names[KT_AUDIT_ACTION_COUNT] = {
	[KT_AUDIT_NONE] = "",
#define KT_AUDIT_NAME(e, name) [KT_AUDIT_##e] = name,
	KT_AUDIT_ACTIONS(KT_AUDIT_NAME)
#undef KT_AUDIT_NAME
};

const char *
kt_audit_action_name(kt_audit_action_t a)
{
	return (unsigned)a < KT_AUDIT_ACTION_COUNT ? action_names[a] : "";
}

kt_audit_action_t
kt_audit_action_by_name(const char *name)
{
	for (unsigned a = 1; a < KT_AUDIT_ACTION_COUNT; a++)
		if (name != NULL && strcmp(action_names[a], name) == 0)
			return (kt_audit_action_t)a;
	return KT_AUDIT_NONE;
}

int
kt_audit_record(kt_store_t *st, MDB_txn *txn, const kt_actor_t *actor,
    kt_audit_action_t action, const char *object, uint32_t outcome,
    const char *detail)
{
	kt_audit_event_t ev = {
		.user_id = actor->user_id,
		.terminal_key = actor->terminal_key,
		.action = action,
		.object = object,
		.outcome = outcome,
		.detail = detail,
	};

	return kt_audit_append(st, txn, &ev, actor->sign_sk, NULL);
}

/* ---- append ----------------------------------------------------------- */

int
kt_audit_append(kt_store_t *st, MDB_txn *txn, const kt_audit_event_t *ev,
    const uint8_t *sign_key, uint64_t *seq)
{
	const kt_store_dbs_t *dbs = kt_store_dbs(st);
	Ktstore__AuditEntry e = KTSTORE__AUDIT_ENTRY__INIT;
	uint8_t prev[HASH_LEN], hash[HASH_LEN], key[8];
	MDB_val k, v;
	uint64_t n;
	bool found;
	size_t len;
	int rc;

	if ((rc = tail_get(st, txn, &found, &n, prev)) != 0)
		return rc;
	if (!found) {
		/* No tail must mean no chain: never restart it silently. */
		MDB_cursor *c = NULL;

		if ((rc = mdb_cursor_open(txn, dbs->audit, &c)) != 0)
			return kt_store_err(rc);
		rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
		mdb_cursor_close(c);
		if (rc == 0)
			return KT_ESTORE;
		if (rc != MDB_NOTFOUND)
			return kt_store_err(rc);
	}
	if (n == UINT64_MAX)
		return KT_ESTORE;
	e.seq = n + 1;
	e.time_ms = now_ms();
	e.user_id = ev->user_id;
	if (ev->terminal_key != NULL) {
		e.terminal_key.data = (uint8_t *)ev->terminal_key;
		e.terminal_key.len = 32;
	}
	e.action = (char *)kt_audit_action_name(ev->action);
	e.object = (char *)(ev->object != NULL ? ev->object : "");
	e.outcome = ev->outcome;
	e.detail = (char *)(ev->detail != NULL ? ev->detail : "");

	len = ktstore__audit_entry__get_packed_size(&e);
	kt_store_be64(key, e.seq);
	k.mv_data = key;
	k.mv_size = sizeof key;
	v.mv_data = NULL;
	v.mv_size = HASH_LEN + len;
	/* MDB_APPEND: keys only grow, so pages fill up; a key not past the
	 * last one (tail out of step with the chain) fails as KEYEXIST. */
	rc = mdb_put(txn, dbs->audit, &k, &v, MDB_RESERVE | MDB_APPEND);
	if (rc == MDB_KEYEXIST)
		return KT_ESTORE;
	if (rc != 0)
		return kt_store_err(rc);
	if (ktstore__audit_entry__pack(&e, (uint8_t *)v.mv_data + HASH_LEN) !=
	    len)
		return KT_ESTORE;
	chain_hash(hash, prev, (uint8_t *)v.mv_data + HASH_LEN, len);
	memcpy(v.mv_data, hash, HASH_LEN);
	if ((rc = tail_put(st, txn, e.seq, hash)) != 0)
		return rc;
	if (sign_key != NULL && e.seq % KT_AUDIT_CHECKPOINT_EVERY == 0) {
		audit_cp_t cp = { .seq = e.seq };

		memcpy(cp.hash, hash, HASH_LEN);
		cp_sign(&cp, sign_key);
		if ((rc = cp_put(st, txn, &cp)) != 0)
			return rc;
	}
	if (seq != NULL)
		*seq = e.seq;
	return 0;
}

/* ---- checkpoint file -------------------------------------------------- */

/* One line: "kartoteka-audit/1 <seq> <hash hex> <signature hex>\n". */
int
kt_audit_cp_parse(const char *text, size_t len, kt_audit_cp_t *cp, char *why,
    size_t cap)
{
	char buf[CP_FILE_MAX + 1], *end;
	const char *p;
	size_t hexlen, n;

#define BAD(...) do { snprintf(why, cap, __VA_ARGS__); return KT_EINVAL; } \
	while (0)
	if (len > CP_FILE_MAX)
		BAD("the file is longer than a checkpoint line (%u bytes at "
		    "most)", CP_FILE_MAX);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (strlen(buf) != len)
		BAD("the file holds a NUL byte: not a checkpoint");
	p = buf;
	if (strncmp(p, CP_DOMAIN " ", CP_DOMAIN_LEN + 1) != 0)
		BAD("the line does not start with \"%s \": not a checkpoint "
		    "file", CP_DOMAIN);
	p += CP_DOMAIN_LEN + 1;
	if (*p < '0' || *p > '9')
		BAD("the sequence number (second word) is not a number");
	errno = 0;
	cp->seq = strtoull(p, &end, 10);
	if (errno != 0 || *end != ' ')
		BAD("the sequence number (second word) is not a number "
		    "followed by one space");
	p = end + 1;
	for (n = 0; p[n] != '\0' && p[n] != ' ' && p[n] != '\n'; n++)
		;
	if (n != 2 * HASH_LEN || sodium_hex2bin(cp->hash, HASH_LEN, p, n,
	    NULL, &hexlen, NULL) != 0 || hexlen != HASH_LEN)
		BAD("the hash (third word) is not %u hex digits",
		    2 * HASH_LEN);
	p += n;
	if (*p != ' ')
		BAD("the signature (fourth word) is missing");
	p++;
	for (n = 0; p[n] != '\0' && p[n] != ' ' && p[n] != '\n'; n++)
		;
	if (n != 2 * SIG_LEN || sodium_hex2bin(cp->sig, SIG_LEN, p, n, NULL,
	    &hexlen, NULL) != 0 || hexlen != SIG_LEN)
		BAD("the signature (fourth word) is not %u hex digits",
		    2 * SIG_LEN);
	p += n;
	if (strcmp(p, "\n") != 0 && strcmp(p, "") != 0)
		BAD("there is more after the signature: one line of four "
		    "words is expected");
#undef BAD
	return 0;
}

int
kt_audit_cp_read(const char *path, kt_audit_cp_t *cp, char *why, size_t cap)
{
	char buf[CP_FILE_MAX + 1];
	size_t got = 0;
	ssize_t n;
	int fd, rc = KT_EIO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(why, cap, KT_MSG("cannot open %s: %s"), path,
		    strerror(errno));
		return KT_EIO;
	}
	while (got < sizeof buf) {
		n = read(fd, buf + got, sizeof buf - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(why, cap, KT_MSG("cannot read %s: %s"), path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	rc = kt_audit_cp_parse(buf, got, cp, why, cap);
out:
	close(fd);
	return rc;
}

int
kt_audit_cp_signed_by(const kt_audit_cp_t *cp, const uint8_t pk[32])
{
	return cp_sig_ok(cp, pk);
}

void
kt_audit_cp_line(const kt_audit_cp_t *cp,
    char out[static KT_AUDIT_CP_LINE_MAX])
{
	char hash_hex[2 * HASH_LEN + 1], sig_hex[2 * SIG_LEN + 1];

	sodium_bin2hex(hash_hex, sizeof hash_hex, cp->hash, HASH_LEN);
	sodium_bin2hex(sig_hex, sizeof sig_hex, cp->sig, SIG_LEN);
	snprintf(out, KT_AUDIT_CP_LINE_MAX, "%s %" PRIu64 " %s %s\n",
	    CP_DOMAIN, cp->seq, hash_hex, sig_hex);
}

static int
cp_file_read(const char *path, audit_cp_t *cp)
{
	char why[256];

	return kt_audit_cp_read(path, cp, why, sizeof why) == 0 ? 0 : KT_EIO;
}

static int
cp_file_write(const char *path, const audit_cp_t *cp)
{
	char line[KT_AUDIT_CP_LINE_MAX];
	struct stat sb;
	size_t len, off = 0;
	ssize_t n;
	int fd, rc = KT_EIO;

	kt_audit_cp_line(cp, line);
	len = strlen(line);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return KT_EIO;
	/* An existing file keeps its mode on open: tighten it. */
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    fchmod(fd, 0600) != 0)
		goto out;
	while (off < len) {
		n = write(fd, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	if (S_ISREG(sb.st_mode) && fsync(fd) != 0)
		goto out;
	rc = 0;
out:
	if (close(fd) != 0)
		rc = KT_EIO;
	return rc;
}

/* ---- export ----------------------------------------------------------- */

typedef struct export_ctx {
	const uint8_t *sk;
	audit_cp_t cp;
} export_ctx_t;

static int
export_mutation(kt_store_t *st, MDB_txn *txn, void *arg)
{
	export_ctx_t *x = arg;

	return kt_audit_cp_now(st, txn, x->sk, &x->cp);
}

/* Finds the checkpoint for the current tail, or signs and stores one. */
int
kt_audit_cp_now(kt_store_t *st, MDB_txn *txn, const uint8_t sign_sk[64],
    kt_audit_cp_t *out)
{
	uint8_t key[8];
	MDB_val k = { .mv_size = sizeof key, .mv_data = key };
	MDB_val v;
	bool found;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = tail_get(st, txn, &found, &out->seq, out->hash)) != 0)
		return rc;
	if (out->seq == 0) {
		/* Empty chain: a checkpoint of the genesis, not stored. */
		cp_sign(out, sign_sk);
		return 0;
	}
	kt_store_be64(key, out->seq);
	rc = mdb_get(txn, kt_store_dbs(st)->checkpoints, &k, &v);
	if (rc == 0) {
		audit_cp_t have;
		uint8_t pk[32];

		/* Reuse it if it is ours; after a key change, sign anew. */
		crypto_sign_ed25519_sk_to_pk(pk, sign_sk);
		if (cp_decode(&k, &v, &have) &&
		    sodium_memcmp(have.hash, out->hash, HASH_LEN) == 0 &&
		    cp_sig_ok(&have, pk)) {
			memcpy(out->sig, have.sig, SIG_LEN);
			return 0;
		}
	} else if (rc != MDB_NOTFOUND) {
		return kt_store_err(rc);
	}
	cp_sign(out, sign_sk);
	return cp_put(st, txn, out);
}

int
kt_audit_cp_latest(MDB_txn *txn, const kt_store_dbs_t *db, kt_audit_cp_t *out)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, db->checkpoints, &c)) != 0)
		return kt_store_err(rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0)
		rc = cp_decode(&k, &v, out) ? 0 : KT_ESTORE;
	else
		rc = kt_store_err(rc);
	mdb_cursor_close(c);
	return rc;
}

int
kt_audit_export_checkpoint(kt_store_t *st, const uint8_t sign_sk[64],
    const char *path)
{
	export_ctx_t x = { .sk = sign_sk };
	int rc;

	if ((rc = kt_store_write_sync(st, export_mutation, &x)) != 0)
		return rc;
	return cp_file_write(path, &x.cp);
}

/* ---- verify ----------------------------------------------------------- */

typedef struct verify_ctx {
	const uint8_t *pk;             /* NULL: signatures not checked */
	MDB_cursor *cpc;               /* stored checkpoints, in seq order */
	bool cp_more;                  /* cpc positioned on an unchecked one */
	MDB_val cp_k, cp_v;
	bool have_file;
	audit_cp_t file_cp;
	uint64_t last_good_cp;         /* seq of the last matching checkpoint */
} verify_ctx_t;

/* Checks the stored checkpoints and the file checkpoint at seq against
 * the chain hash there. Returns 0, KT_EAUDIT (*bad set), KT_ESTORE. */
static int
verify_cps_at(verify_ctx_t *vc, uint64_t seq,
    const uint8_t hash[static HASH_LEN], uint64_t *bad)
{
	int rc;

	while (vc->cp_more) {
		audit_cp_t cp;

		if (vc->cp_k.mv_size == 8 &&
		    kt_store_get_be64(vc->cp_k.mv_data) > seq)
			break;
		if (!cp_decode(&vc->cp_k, &vc->cp_v, &cp) || cp.seq != seq ||
		    (vc->pk != NULL && !cp_sig_ok(&cp, vc->pk))) {
			/* Malformed, misplaced or forged checkpoint. */
			*bad = vc->cp_k.mv_size == 8 ? cp.seq : seq;
			return KT_EAUDIT;
		}
		if (sodium_memcmp(cp.hash, hash, HASH_LEN) != 0) {
			/* A signed hash no longer matches: some entry since
			 * the last matching checkpoint was changed (and the
			 * chain recomputed over it). */
			*bad = vc->last_good_cp + 1;
			return KT_EAUDIT;
		}
		vc->last_good_cp = seq;
		rc = mdb_cursor_get(vc->cpc, &vc->cp_k, &vc->cp_v, MDB_NEXT);
		if (rc == MDB_NOTFOUND)
			vc->cp_more = false;
		else if (rc != 0)
			return kt_store_err(rc);
	}
	if (vc->have_file && vc->file_cp.seq == seq) {
		if (sodium_memcmp(vc->file_cp.hash, hash, HASH_LEN) != 0) {
			*bad = vc->last_good_cp + 1;
			return KT_EAUDIT;
		}
		if (seq > vc->last_good_cp)
			vc->last_good_cp = seq;
	}
	return 0;
}

int
kt_audit_verify(kt_store_t *st, const uint8_t sign_pk[32],
    const char *checkpoint_file, uint64_t *bad_seq, uint64_t *last_seq)
{
	const kt_store_dbs_t *dbs = kt_store_dbs(st);
	verify_ctx_t vc = { .pk = sign_pk };
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint8_t prev[HASH_LEN] = { 0 }, hash[HASH_LEN], tail_hash[HASH_LEN];
	uint64_t n = 0, bad = 0, tail_seq;
	bool tail_found;
	int rc, mrc;

	*bad_seq = 0;
	*last_seq = 0;
	if (checkpoint_file != NULL) {
		if ((rc = cp_file_read(checkpoint_file, &vc.file_cp)) != 0)
			return rc;
		/* Not signed with this store's key: made for another store,
		 * or the store's key was replaced. */
		if (sign_pk != NULL && !cp_sig_ok(&vc.file_cp, sign_pk))
			return KT_ECRYPTO;
		vc.have_file = true;
	}
	if ((rc = kt_store_read_begin(st, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, dbs->checkpoints, &vc.cpc)) != 0 ||
	    (rc = mdb_cursor_open(txn, dbs->audit, &c)) != 0) {
		rc = kt_store_err(rc);
		goto out;
	}
	mrc = mdb_cursor_get(vc.cpc, &vc.cp_k, &vc.cp_v, MDB_FIRST);
	if (mrc != 0 && mrc != MDB_NOTFOUND) {
		rc = kt_store_err(mrc);
		goto out;
	}
	vc.cp_more = mrc == 0;
	/* The genesis (seq 0, zero hash) is where every chain starts. */
	if ((rc = verify_cps_at(&vc, 0, prev, &bad)) != 0)
		goto out;

	for (mrc = mdb_cursor_get(c, &k, &v, MDB_FIRST); mrc == 0;
	    mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		Ktstore__AuditEntry *e;
		uint64_t expect = n + 1, seq;
		bool seq_ok;

		if (k.mv_size != 8) {
			bad = expect;
			rc = KT_EAUDIT;
			goto out;
		}
		seq = kt_store_get_be64(k.mv_data);
		if (seq != expect) {
			/* A gap: expect was removed (seq 0 sorts first). */
			bad = seq < expect ? seq : expect;
			rc = KT_EAUDIT;
			goto out;
		}
		if (v.mv_size < HASH_LEN) {
			bad = seq;
			rc = KT_EAUDIT;
			goto out;
		}
		e = ktstore__audit_entry__unpack(NULL, v.mv_size - HASH_LEN,
		    (uint8_t *)v.mv_data + HASH_LEN);
		seq_ok = e != NULL && e->seq == seq;
		if (e != NULL)
			ktstore__audit_entry__free_unpacked(e, NULL);
		chain_hash(hash, prev, (uint8_t *)v.mv_data + HASH_LEN,
		    v.mv_size - HASH_LEN);
		/* Undecodable, moved from another key, or changed. */
		if (!seq_ok || sodium_memcmp(hash, v.mv_data, HASH_LEN) != 0) {
			bad = seq;
			rc = KT_EAUDIT;
			goto out;
		}
		if ((rc = verify_cps_at(&vc, seq, hash, &bad)) != 0)
			goto out;
		memcpy(prev, hash, HASH_LEN);
		n = seq;
	}
	if (mrc != MDB_NOTFOUND) {
		rc = kt_store_err(mrc);
		goto out;
	}

	/* Checkpoints past the end: entries were cut off the end. */
	if (vc.cp_more || (vc.have_file && vc.file_cp.seq > n)) {
		bad = n + 1;
		rc = KT_EAUDIT;
		goto out;
	}
	/* The tail names the last entry: catches removal from the end. */
	if ((rc = tail_get(st, txn, &tail_found, &tail_seq, tail_hash)) != 0) {
		if (rc != KT_ESTORE)
			goto out;
		bad = n + 1;  /* a mangled tail */
		rc = KT_EAUDIT;
		goto out;
	}
	if ((!tail_found && n > 0) || tail_seq > n) {
		bad = n + 1;
		rc = KT_EAUDIT;
	} else if (tail_seq < n) {
		bad = tail_seq + 1;
		rc = KT_EAUDIT;
	} else if (sodium_memcmp(tail_hash, prev, HASH_LEN) != 0) {
		bad = n;
		rc = KT_EAUDIT;
	} else {
		rc = 0;
	}
out:
	if (rc == KT_EAUDIT)
		*bad_seq = bad;
	*last_seq = n;
	if (c != NULL)
		mdb_cursor_close(c);
	if (vc.cpc != NULL)
		mdb_cursor_close(vc.cpc);
	kt_store_read_end(st, txn);
	return rc;
}

int
kt_audit_tail(kt_store_t *st, size_t n, kt_audit_entry_fn fn, void *arg)
{
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	size_t back = 0;
	int rc, m;

	if (n == 0)
		return 0;
	if ((rc = kt_store_read_begin(st, &txn)) != 0)
		return rc;
	if ((m = mdb_cursor_open(txn, kt_store_dbs(st)->audit, &c)) != 0) {
		rc = kt_store_err(m);
		goto out;
	}
	/* Back from the last entry to the first of the n. */
	m = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (m == MDB_NOTFOUND)
		goto out;       /* an empty chain */
	while (m == 0 && ++back < n) {
		m = mdb_cursor_get(c, &k, &v, MDB_PREV);
		if (m == MDB_NOTFOUND) {
			/* fewer than n: all of them */
			m = mdb_cursor_get(c, &k, &v, MDB_FIRST);
			break;
		}
	}
	if (m != 0) {
		rc = kt_store_err(m);
		goto out;
	}
	for (m = 0; m == 0 && rc == 0;
	    m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		Ktstore__AuditEntry *e;
		if (v.mv_size < HASH_LEN) {
			rc = KT_EPROTO;
			break;
		}
		e = ktstore__audit_entry__unpack(NULL, v.mv_size - HASH_LEN,
		    (const uint8_t *)v.mv_data + HASH_LEN);
		if (e == NULL) {
			rc = KT_EPROTO;
			break;
		}
		rc = fn(e, arg);
		ktstore__audit_entry__free_unpacked(e, NULL);
	}
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
out:
	if (c != NULL)
		mdb_cursor_close(c);
	kt_store_read_end(st, txn);
	return rc;
}

/* ---- the owner's readers ------------------------------------------------ */

int
kt_audit_match(const kt_audit_filter_t *f, const Ktstore__AuditEntry *e)
{
	const char *act = e->action != NULL ? e->action : "";
	size_t n;

	if (f->by_user && e->user_id != f->user)
		return 0;
	if (f->from_ms != 0 && e->time_ms < f->from_ms)
		return 0;
	if (f->to_ms != 0 && e->time_ms >= f->to_ms)
		return 0;
	if (f->object != NULL && f->object[0] != '\0' &&
	    strcmp(f->object, e->object != NULL ? e->object : "") != 0)
		return 0;
	if (f->action != NULL && (n = strlen(f->action)) != 0) {
		if (f->action[n - 1] == '.' ? strncmp(act, f->action, n) != 0 :
		    strcmp(act, f->action) != 0)
			return 0;
	}
	return 1;
}

/* The entry at seq, decoded with the default allocator (the caller frees
 * it). Returns 0, KT_ENOTFOUND, KT_EPROTO, KT_ESTORE. */
static int
entry_at(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t seq,
    Ktstore__AuditEntry **e)
{
	uint8_t key[8];
	MDB_val k = { .mv_size = sizeof key, .mv_data = key }, v;
	int rc;

	*e = NULL;
	kt_store_be64(key, seq);
	if ((rc = mdb_get(txn, db->audit, &k, &v)) != 0)
		return kt_store_err(rc);
	if (v.mv_size < HASH_LEN)
		return KT_EPROTO;
	*e = ktstore__audit_entry__unpack(NULL, v.mv_size - HASH_LEN,
	    (const uint8_t *)v.mv_data + HASH_LEN);
	return *e != NULL ? 0 : KT_EPROTO;
}

/* The seq of the last entry (0: an empty chain). */
static int
last_seq(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t *seq)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	*seq = 0;
	if ((rc = mdb_cursor_open(txn, db->audit, &c)) != 0)
		return kt_store_err(rc);
	rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
	if (rc == 0 && k.mv_size == 8)
		*seq = kt_store_get_be64(k.mv_data);
	mdb_cursor_close(c);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

/* The seq to start after for entries at or after t: a binary search on
 * time over seq 1..last, as if times only grew (the scan's slack covers a
 * clock that stepped back a little). An entry that cannot be read ends
 * the search early at a safe (earlier) place. */
static int
seek_time(MDB_txn *txn, const kt_store_dbs_t *db, int64_t t, uint64_t *after)
{
	uint64_t lo = 1, hi, found;
	int rc;

	*after = 0;
	if ((rc = last_seq(txn, db, &hi)) != 0 || hi == 0)
		return rc;
	found = hi + 1;
	while (lo <= hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		Ktstore__AuditEntry *e = NULL;

		if (entry_at(txn, db, mid, &e) != 0) {
			ktstore__audit_entry__free_unpacked(e, NULL);
			break;
		}
		if (e->time_ms >= t) {
			found = mid;
			hi = mid - 1;
		} else {
			lo = mid + 1;
		}
		ktstore__audit_entry__free_unpacked(e, NULL);
	}
	if (lo <= hi)
		found = lo;  /* stopped early: from the lower bound */
	*after = found > 0 ? found - 1 : 0;
	return 0;
}

int
kt_audit_scan(MDB_txn *txn, const kt_store_dbs_t *db,
    const kt_audit_filter_t *f, uint64_t after, uint64_t max_read,
    kt_audit_entry_fn fn, void *arg, uint64_t *resume, uint64_t *nread)
{
	MDB_cursor *c = NULL;
	uint8_t key[8];
	MDB_val k = { .mv_size = sizeof key, .mv_data = key }, v;
	uint64_t read = 0, seq = after;
	int rc = 0, m;

	*resume = 0;
	*nread = 0;
	if (after == 0 && f->from_ms > KT_AUDIT_CLOCK_SLACK_MS &&
	    (rc = seek_time(txn, db, f->from_ms - KT_AUDIT_CLOCK_SLACK_MS,
	    &after)) != 0)
		return rc;
	if ((m = mdb_cursor_open(txn, db->audit, &c)) != 0)
		return kt_store_err(m);
	kt_store_be64(key, after + 1);
	for (m = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); m == 0;
	    m = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		Ktstore__AuditEntry *e;

		if (k.mv_size != 8 || v.mv_size < HASH_LEN) {
			rc = KT_EPROTO;
			break;
		}
		seq = kt_store_get_be64(k.mv_data);
		if (max_read != 0 && read >= max_read) {
			*resume = seq - 1;
			break;
		}
		e = ktstore__audit_entry__unpack(NULL, v.mv_size - HASH_LEN,
		    (const uint8_t *)v.mv_data + HASH_LEN);
		if (e == NULL) {
			rc = KT_EPROTO;
			break;
		}
		read++;
		/* A to_ms that close to the end of time has nothing past it
		 * (and to_ms + slack would overflow). */
		if (f->to_ms != 0 &&
		    f->to_ms <= INT64_MAX - KT_AUDIT_CLOCK_SLACK_MS &&
		    e->time_ms >= f->to_ms + KT_AUDIT_CLOCK_SLACK_MS) {
			ktstore__audit_entry__free_unpacked(e, NULL);
			break;  /* past the end, slack and all */
		}
		rc = kt_audit_match(f, e) ? fn(e, arg) : 0;
		ktstore__audit_entry__free_unpacked(e, NULL);
		if (rc == KT_AUDIT_SCAN_STOP_AFTER) {
			*resume = seq;
			rc = 0;
			break;
		}
		if (rc == KT_AUDIT_SCAN_STOP_BEFORE) {
			*resume = seq - 1;
			read--;
			rc = 0;
			break;
		}
		if (rc != 0)
			break;
	}
	if (rc == 0 && m != 0 && m != MDB_NOTFOUND)
		rc = kt_store_err(m);
	/* A page that ended exactly at the last entry still says "more":
	 * the next one then finds nothing, which is cheap. */
	mdb_cursor_close(c);
	*nread = read;
	return rc;
}

/* What an action counts as in a day of activity. */
enum { SUM_NONE, SUM_VIEW, SUM_LIST, SUM_FIND, SUM_CHANGE };

static int
summary_kind(const char *action)
{
	static const struct {
		const char *name;
		int kind;
	} kinds[] = {
		{ "client.view", SUM_VIEW },
		{ "client.history", SUM_VIEW },  /* shows contacts: a full view */
		{ "client.list", SUM_LIST },
		{ "client.find", SUM_FIND },
		{ "client.add", SUM_CHANGE },
		{ "client.edit", SUM_CHANGE },
		{ "client.archive", SUM_CHANGE },
		{ "client.restore", SUM_CHANGE },
		{ "client.purge", SUM_CHANGE },
		{ "client.reassign", SUM_CHANGE },
		{ "client.merge", SUM_CHANGE },
		{ "client.revert", SUM_CHANGE },
	};

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(action, kinds[i].name) == 0)
			return kinds[i].kind;
	return SUM_NONE;
}

/* The N of " rows=N" (or a leading "rows=N") in a list's detail; 0 when
 * there is none. */
static uint64_t
detail_rows(const char *d)
{
	const char *p = d;

	while ((p = strstr(p, "rows=")) != NULL) {
		if (p == d || p[-1] == ' ') {
			char *end;
			unsigned long long n;

			errno = 0;
			n = strtoull(p + 5, &end, 10);
			if (errno == 0 && end != p + 5)
				return (uint64_t)n;
		}
		p += 5;
	}
	return 0;
}

typedef struct summary_ctx {
	kt_audit_day_t *days;
	unsigned ndays;
} summary_ctx_t;

static int
summary_one(const Ktstore__AuditEntry *e, void *arg)
{
	summary_ctx_t *s = arg;
	kt_audit_day_t *d;
	unsigned lo = 0, hi = s->ndays;

	/* The last day starting at or before the entry. */
	while (hi - lo > 1) {
		unsigned mid = (lo + hi) / 2;
		if (s->days[mid].start_ms <= e->time_ms)
			lo = mid;
		else
			hi = mid;
	}
	d = &s->days[lo];
	if (e->outcome != 0) {
		d->refusals++;
		return 0;
	}
	switch (summary_kind(e->action != NULL ? e->action : "")) {
	case SUM_VIEW:
		d->views++;
		break;
	case SUM_FIND:
		d->searches++;
		/* a search lists rows too */
		d->rows += detail_rows(e->detail != NULL ? e->detail : "");
		break;
	case SUM_LIST:
		d->rows += detail_rows(e->detail != NULL ? e->detail : "");
		break;
	case SUM_CHANGE:
		d->changes++;
		break;
	default:
		break;
	}
	return 0;
}

int
kt_audit_summary(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    kt_audit_day_t *days, unsigned ndays, int64_t end_ms, uint64_t *nread)
{
	kt_audit_filter_t f = { .by_user = 1, .user = user };
	summary_ctx_t s = { days, ndays };
	uint64_t resume;

	*nread = 0;
	if (ndays == 0 || ndays > KT_AUDIT_SUMMARY_DAYS_MAX ||
	    end_ms <= days[ndays - 1].start_ms)
		return KT_EINVAL;
	for (unsigned i = 0; i < ndays; i++) {
		if (i > 0 && days[i].start_ms <= days[i - 1].start_ms)
			return KT_EINVAL;
		days[i].views = days[i].searches = days[i].changes = 0;
		days[i].refusals = 0;
		days[i].rows = 0;
	}
	f.from_ms = days[0].start_ms;
	f.to_ms = end_ms;
	return kt_audit_scan(txn, db, &f, 0, 0, summary_one, &s, &resume,
	    nread);
}
