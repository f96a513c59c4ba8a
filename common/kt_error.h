/* SPDX-License-Identifier: MIT */
/* Kartoteka error codes: every kt_* function returns 0 or one of these. */
#ifndef KT_ERROR_H
#define KT_ERROR_H

enum {
	KT_OK = 0,
	KT_EINVAL = -1,     /* bad argument or malformed input */
	KT_ENOMEM = -2,     /* out of memory */
	KT_EIO = -3,        /* file or socket I/O failed (see errno at the site) */
	KT_ECRYPTO = -4,    /* decryption/authentication failed, bad DH result */
	KT_EPROTO = -5,     /* protocol violation by the peer */
	KT_ENOSPC = -6,     /* buffer too small, or disk/map full */
	KT_ENOTFOUND = -7,  /* no such record or file */
	KT_EEXIST = -8,     /* already exists */
	KT_ECONFLICT = -9,  /* stale version or concurrent change */
	KT_ETOOBIG = -10,   /* message does not fit a frame */
	KT_ECLOSED = -11,   /* peer closed the connection */
	KT_ETIMEDOUT = -12, /* peer did not answer in time */
	KT_EPERM = -13,     /* not allowed */
	KT_ESTORE = -14,    /* LMDB reported an error */
	KT_ECONNECT = -15,  /* cannot connect to the server */
	KT_ENONCE = -16,    /* nonce counter exhausted: connection must close */
	KT_ESTATE = -17,    /* call not valid in this state */
	KT_EAUDIT = -18,    /* audit chain broken */
	KT_ELOCKED = -19,   /* temporarily locked (login attempts) */
	KT_EEXPIRED = -20,  /* token or invite expired */
	KT_ESHUTDOWN = -21, /* server is stopping */
};

/* kt_strerror returns a static English description of a KT_E* code.
 * Never returns NULL; unknown codes give "unknown error". */
const char *kt_strerror(int err);

#endif
