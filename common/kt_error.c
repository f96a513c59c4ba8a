/* SPDX-License-Identifier: MIT */
/* Kartoteka error codes turned into text. */
#include "i18n.h"
#include "kt_error.h"

const char *
kt_strerror(int err)
{
	switch (err) {
	case KT_OK: return N_("success");
	case KT_EINVAL: return N_("invalid argument or malformed input");
	case KT_ENOMEM: return N_("out of memory");
	case KT_EIO: return N_("input/output error");
	case KT_ECRYPTO: return N_("cryptographic check failed");
	case KT_EPROTO: return N_("protocol error");
	case KT_ENOSPC: return N_("no space left");
	case KT_ENOTFOUND: return N_("not found");
	case KT_EEXIST: return N_("already exists");
	case KT_ECONFLICT: return N_("conflicting change");
	case KT_ETOOBIG: return N_("message too large");
	case KT_ECLOSED: return N_("connection closed");
	case KT_ETIMEDOUT: return N_("timed out");
	case KT_EPERM: return N_("not permitted");
	case KT_ESTORE: return N_("store error");
	case KT_ECONNECT: return N_("cannot connect");
	case KT_ENONCE: return N_("nonce counter exhausted");
	case KT_ESTATE: return N_("invalid state");
	case KT_EAUDIT: return N_("audit chain broken");
	case KT_ELOCKED: return N_("temporarily locked");
	case KT_EEXPIRED: return N_("expired");
	case KT_ESHUTDOWN: return N_("shutting down");
	}
	return N_("unknown error");
}
