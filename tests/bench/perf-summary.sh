#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# perf-summary.sh PERF.DATA [TOP]: a short summary of a `perf record -g`
# profile of kartotekad (tests/bench/compare.sh --perf writes them):
# samples per thread and per shared object, the TOP (15) symbols by self
# time, and the shares of the paths worth optimising: protobuf-c
# pack/unpack, malloc/free, libsodium, LMDB, and the kernel's write, read
# and fsync paths (those inclusive of what the syscall calls, from the
# kernel's call chains, which stay whole without frame pointers).
# CPU time only: time spent waiting for the disk is not sampled.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: perf-summary.sh PERF.DATA [TOP]" >&2; exit 2; }
f=$1
top=${2:-15}
[ -f "$f" ] || { echo "perf-summary.sh: no $f" >&2; exit 1; }

rep() { perf report -i "$f" --stdio --percent-limit 0 "$@" 2>/dev/null; }

rep --no-children --sort sym -g none | awk '/^# Samples: / && !n++ { sub(/^# /, ""); print }'
echo "threads (self time):"
rep --no-children --sort pid -g none | awk '/^ +[0-9.]+%/ && ++n <= 5 { sub(/^ */, "  "); print }'

self=$(rep --no-children --sort sym,dso -g none | grep -E '^ +[0-9.]+%' || true)
echo "top $top symbols by self time:"
echo "$self" | awk -v top="$top" 'NR <= top { printf "  %7s  %s %-46s %s\n", $1, $2, $3, $4 }'

echo "self time by shared object:"
rep --no-children --sort dso -g none | awk '/^ +[0-9.]+%/ && $1 + 0 >= 0.5 { printf "  %7s  %s\n", $1, $2 }'

# Self-time shares by kind; each symbol counted once, first match wins.
echo "$self" | awk '
	{
		p = $1; sub(/%/, "", p); sym = $3; dso = $4
		sub(/@.*/, "", sym) # cfree@GLIBC_2.2.5
		if (dso ~ /protobuf-c/ || sym ~ /^protobuf_c_|__pack$|__unpack$|__pack_to_buffer$|__get_packed_size$|__free_unpacked$/)
			k = "protobuf-c pack/unpack/free_unpacked"
		else if (sym ~ /^(__libc_|__GI___libc_)?(malloc|free|calloc|realloc|cfree)$|^_int_(malloc|free|realloc)|^malloc_consolidate$|^unlink_chunk|^tcache_|^__malloc_|^_mid_memalign$|^(posix_memalign|aligned_alloc|memalign)$/)
			k = "malloc/free (libc)"
		else if (dso ~ /libsodium/)
			k = "libsodium (ChaCha20-Poly1305, BLAKE2b, X25519)"
		else if (dso ~ /liblmdb/)
			k = "LMDB (user space)"
		else if (dso ~ /libunistring/)
			k = "libunistring (normalisation, folding)"
		else if (dso ~ /libuv/)
			k = "libuv"
		else if (sym ~ /^(__)?mem(cpy|move|set|cmp)|^__(memcpy|memmove|memset|memcmp)_|^str(len|cmp|chr|ncmp)|^__str/)
			k = "libc mem*/str*"
		else if ($2 == "[k]")
			k = "kernel (all)"
		else if (dso ~ /kartotekad/)
			k = "kartotekad own code"
		else
			k = "other"
		s[k] += p
	}
	END {
		print "self time by kind:"
		for (k in s) printf "  %6.2f%%  %s\n", s[k], k | "sort -rn"
	}'

# Kernel paths, inclusive (children), from the kernel call chains. Newer
# kernels inline __x64_sys_write into ksys_write: the larger of the two.
echo "kernel syscalls, inclusive of what they call:"
rep --children --sort sym -g none | awk '
	function mx(a, b) { return a > b ? a : b }
	/^ +[0-9.]+%/ {
		p = $1; sub(/%/, "", p); v[$4] = p
		if ($4 ~ /^(entry_SYSCALL_64|entry_SYSCALL_64_after_hwframe|do_syscall_64)$/ && p > all) all = p
	}
	END {
		w = mx(v["__x64_sys_write"], v["ksys_write"]) + v["__x64_sys_writev"] + v["__x64_sys_sendmsg"] + v["__x64_sys_sendto"]
		pw = v["__x64_sys_pwrite64"] + v["__x64_sys_pwritev"] + v["__x64_sys_pwritev2"]
		y = v["__x64_sys_fsync"] + v["__x64_sys_fdatasync"] + v["__x64_sys_msync"] + v["__x64_sys_sync_file_range"]
		r = mx(v["__x64_sys_read"], v["ksys_read"]) + v["__x64_sys_readv"] + v["__x64_sys_recvmsg"] + v["__x64_sys_recvfrom"] + v["__x64_sys_pread64"]
		e = v["__x64_sys_epoll_wait"] + v["__x64_sys_epoll_pwait"] + v["__x64_sys_epoll_pwait2"]
		printf "  %6.2f%%  all syscalls (entry_SYSCALL_64)\n", all
		printf "  %6.2f%%  write/writev/sendmsg (sockets)\n", w
		printf "  %6.2f%%  pwrite (store pages)\n", pw
		printf "  %6.2f%%  fsync/fdatasync/msync\n", y
		printf "  %6.2f%%  read/readv/recvmsg/pread\n", r
		printf "  %6.2f%%  epoll_wait\n", e
		printf "  %6.2f%%  futex\n", v["__x64_sys_futex"]
	}'
