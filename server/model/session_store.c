/* SPDX-License-Identifier: MIT */
/* Session records (session_store.h). */
#include <string.h>

#include <sodium.h>

#include "kt_error.h"
#include "model/session_store.h"
#include "records.pb-c.h"

int
kt_session_rec_put(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32], uint64_t user,
    const uint8_t terminal_key[static 32], int64_t now, int64_t expires)
{
	Ktstore__SessionRecord s = KTSTORE__SESSION_RECORD__INIT;

	s.user_id = user;
	s.terminal_key.data = (uint8_t *)terminal_key;
	s.terminal_key.len = 32;
	s.created_at = now;
	s.expires_at = expires;
	return kt_store_put_record(txn, db->sessions, token_hash, 32, &s.base,
	    MDB_NOOVERWRITE);
}

int
kt_session_rec_check(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32],
    const uint8_t terminal_key[static 32], int64_t now, uint64_t *user,
    int64_t *expires)
{
	Ktstore__SessionRecord *s = NULL;
	int rc;

	rc = kt_store_get_record(txn, db->sessions, token_hash, 32,
	    &ktstore__session_record__descriptor, (ProtobufCMessage **)&s);
	if (rc != 0)
		return rc;
	if (s->expires_at <= now)
		rc = KT_EEXPIRED;
	else if (s->terminal_key.len != 32 ||
	    sodium_memcmp(s->terminal_key.data, terminal_key, 32) != 0)
		rc = KT_EPERM;
	*user = s->user_id;
	*expires = s->expires_at;
	protobuf_c_message_free_unpacked(&s->base, NULL);
	return rc;
}

int
kt_session_rec_del(MDB_txn *txn, const kt_store_dbs_t *db,
    const uint8_t token_hash[static 32])
{
	MDB_val k = { 32, (void *)token_hash };
	int rc = mdb_del(txn, db->sessions, &k, NULL);

	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}

int
kt_sessions_end_user(MDB_txn *txn, const kt_store_dbs_t *db, uint64_t user,
    size_t *ended)
{
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int rc;

	*ended = 0;
	if ((rc = mdb_cursor_open(txn, db->sessions, &cur)) != 0)
		return kt_store_err(rc);
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) == 0) {
		Ktstore__SessionRecord *s = ktstore__session_record__unpack(
		    NULL, v.mv_size, v.mv_data);
		int mine = s != NULL && s->user_id == user;

		if (s != NULL)
			ktstore__session_record__free_unpacked(s, NULL);
		if (!mine)
			continue;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		(*ended)++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : kt_store_err(rc);
}
