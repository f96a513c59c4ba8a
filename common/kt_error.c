/* SPDX-License-Identifier: MIT */
/* Kartoteka error codes turned into text. */
#include "kt_error.h"

const char *
kt_strerror(int err)
{
	switch (err) {
	case KT_OK: return "success";
	case KT_EINVAL: return "invalid argument or malformed input";
	case KT_ENOMEM: return "out of memory";
	case KT_EIO: return "input/output error";
	case KT_ECRYPTO: return "cryptographic check failed";
	case KT_EPROTO: return "protocol error";
	case KT_ENOSPC: return "no space left";
	case KT_ENOTFOUND: return "not found";
	case KT_EEXIST: return "already exists";
	case KT_ECONFLICT: return "conflicting change";
	case KT_ETOOBIG: return "message too large";
	case KT_ECLOSED: return "connection closed";
	case KT_ETIMEDOUT: return "timed out";
	case KT_EPERM: return "not permitted";
	case KT_ESTORE: return "store error";
	case KT_ECONNECT: return "cannot connect";
	case KT_ENONCE: return "nonce counter exhausted";
	case KT_ESTATE: return "invalid state";
	case KT_EAUDIT: return "audit chain broken";
	case KT_ELOCKED: return "temporarily locked";
	case KT_EEXPIRED: return "expired";
	case KT_ESHUTDOWN: return "shutting down";
	}
	return "unknown error";
}
