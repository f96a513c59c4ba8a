/* SPDX-License-Identifier: MIT */
/* Invite codes: "KT1-" + unpadded base64url of a protobuf Invite. */
#ifndef KT_INVITE_H
#define KT_INVITE_H

#include <stddef.h>
#include <stdint.h>

#define KT_INVITE_PREFIX "KT1-"
#define KT_INVITE_TOKEN_LEN 32u
#define KT_INVITE_CODE_MAX 1024u

typedef struct kt_invite {
	char address[256];                 /* host:port */
	uint8_t server_key[32];
	uint8_t token[KT_INVITE_TOKEN_LEN];
	size_t token_len;                  /* >= 16 */
	char branch[128];
	int64_t expires_at;
} kt_invite_t;

/* kt_invite_encode writes a NUL-terminated code into out (outcap bytes,
 * KT_INVITE_CODE_MAX is always enough). Returns 0, KT_EINVAL, KT_ENOSPC. */
int kt_invite_encode(const kt_invite_t *inv, char *out, size_t outcap);

/* kt_invite_decode parses code (surrounding whitespace ignored). On error
 * *why (if why is not NULL) is a static English phrase naming the problem,
 * to follow "invalid invite code: " ("does not start with KT1-", "server
 * key must be exactly 32 bytes", "address port must be 1..65535", ...);
 * translate it with gettext(). On error inv is zeroed.
 * Returns 0 or KT_EINVAL. */
int kt_invite_decode(const char *code, kt_invite_t *inv, const char **why);

/* kt_address_split checks and splits "host:port" (IPv6 as "[::1]:port").
 * host must be non-empty printable ASCII without spaces, port a decimal
 * 1..65535.
 *   [out] host, port  NUL-terminated; either may be NULL when not wanted
 *   [out] why         if not NULL, on error a static English sentence
 *                     naming the problem ("port must be 1..65535")
 * Returns 0 or KT_EINVAL (also when host or port does not fit its buffer). */
int kt_address_split(const char *address, char *host, size_t hostcap,
    char *port, size_t portcap, const char **why);

#endif
