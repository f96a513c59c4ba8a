/* SPDX-License-Identifier: MIT */
/* Readiness for systemd (Type=notify) without libsystemd: the state
 * strings of sd_notify(3) sent as one datagram to $NOTIFY_SOCKET. */
#ifndef KT_SD_NOTIFY_H
#define KT_SD_NOTIFY_H

/* kt_sd_notify sends state ("READY=1", "STOPPING=1", or several
 * "KEY=VALUE" lines) to the AF_UNIX datagram socket named by
 * $NOTIFY_SOCKET: a path, or an abstract name when it starts with '@'.
 * Returns 0 when sent, 1 when $NOTIFY_SOCKET is unset or empty (not
 * started by systemd: nothing to do), KT_EINVAL when it is neither an
 * absolute path nor '@' name or too long for a socket address, KT_EIO
 * when sending failed (errno says why). Blocks at most as long as a
 * send(2) to a full socket buffer would: the manager reads at once. */
int kt_sd_notify(const char *state);

#endif
