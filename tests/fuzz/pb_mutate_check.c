/* SPDX-License-Identifier: MIT */
/* Checks pb_mutate.c without libFuzzer: from the first record of each
 * fuzz_session seed, chains of mutations where every mutant must decode
 * as a Request, fit its capacity, and come out the same again from the
 * same seed; counts the ops the chains reach. Run under the fuzz build's
 * ASan and UBSan, it also finds leaks and bad accesses in the mutator.
 *   pb_mutate_check SEED-DIR [ROUNDS] */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kartoteka.pb-c.h"
#include "pb_mutate.h"

#define MAX_IN 65535
#define CHAIN 8

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* libFuzzer's byte mutation stands in as a flip, an insert or an erase,
 * from a generator reset before each kt_pbm_mutate call (so that a call
 * repeated with the same seed does the same). */
static kt_pbm_rng_t stub;

size_t
LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
	size_t at = kt_pbm_below(&stub, size + 1);

	switch (kt_pbm_below(&stub, 3)) {
	case 0:
		if (size > 0) {
			data[at % size] ^= (uint8_t)(1 + kt_pbm_below(&stub, 255));
			return size;
		}
		/* fall through */
	case 1:
		if (size < max_size) {
			memmove(data + at + 1, data + at, size - at);
			data[at] = (uint8_t)kt_pbm_below(&stub, 256);
			return size + 1;
		}
		/* fall through */
	default:
		if (size > 1 && at < size) {
			memmove(data + at, data + at + 1, size - at - 1);
			return size - 1;
		}
		return size;
	}
}

/* The first record of the seed at path into rec; its length, 0 if none. */
static size_t
first_record(const char *path, uint8_t *rec)
{
	uint8_t buf[3 + MAX_IN];
	size_t n, len;
	FILE *f = fopen(path, "rb");

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	if (n < 3)
		return 0;
	len = (size_t)buf[1] << 8 | buf[2];
	if (len > n - 3)
		len = n - 3;
	memcpy(rec, buf + 3, len);
	return len;
}

int
main(int argc, char **argv)
{
	static uint8_t cur[MAX_IN], out[MAX_IN], again[MAX_IN];
	const ProtobufCMessageDescriptor *d = &kartoteka__request__descriptor;
	unsigned long mutants = 0, declined = 0, same = 0, bad = 0;
	unsigned rounds = argc > 2 ? (unsigned)atoi(argv[2]) : 300, ops = 0;
	unsigned char seen[256] = { 0 };
	struct dirent *e;
	DIR *dir;
	unsigned file = 0;

	if (argc < 2 || (dir = opendir(argv[1])) == NULL) {
		fprintf(stderr, "usage: %s SEED-DIR [ROUNDS]\n", argv[0]);
		return 2;
	}
	while ((e = readdir(dir)) != NULL) {
		char path[4096];
		uint8_t seed[MAX_IN];
		size_t seed_len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		if ((seed_len = first_record(path, seed)) == 0)
			continue;
		file++;
		for (unsigned round = 0; round < rounds; round++) {
			size_t len = seed_len;
			memcpy(cur, seed, len);
			for (unsigned step = 0; step < CHAIN; step++) {
				uint64_t s = (uint64_t)file << 40 |
				    (uint64_t)round << 8 | step;
				/* now and then a capacity the mutant may not fit */
				size_t cap = step % 4 == 3 ? len + step : MAX_IN;
				kt_pbm_rng_t r, r2;
				size_t n, n2;
				Kartoteka__Request *q;

				kt_pbm_rng_seed(&r, s);
				kt_pbm_rng_seed(&stub, s);
				r2 = r;
				if ((n = kt_pbm_mutate(d, cur, len, out, cap,
				    &r)) == 0) {
					declined++;
					continue;
				}
				mutants++;
				kt_pbm_rng_seed(&stub, s);
				n2 = kt_pbm_mutate(d, cur, len, again, cap, &r2);
				if (n > cap || n2 != n || memcmp(out, again, n) !=
				    0) {
					fprintf(stderr, "%s round %u step %u: %s\n",
					    e->d_name, round, step, n > cap ?
					    "mutant larger than its capacity" :
					    "not the same mutant from the same seed");
					bad++;
				}
				if ((q = kartoteka__request__unpack(NULL, n,
				    out)) == NULL) {
					fprintf(stderr, "%s round %u step %u: the "
					    "mutant (%zu bytes) is not a Request\n",
					    e->d_name, round, step, n);
					bad++;
					continue;
				}
				if (q->op_case < sizeof(seen) && !seen[q->op_case]) {
					seen[q->op_case] = 1;
					ops++;
				}
				kartoteka__request__free_unpacked(q, NULL);
				if (n == len && memcmp(out, cur, n) == 0)
					same++;
				memcpy(cur, out, n);
				len = n;
			}
		}
	}
	closedir(dir);
	printf("pb_mutate_check: %u seeds, %lu mutants (%lu unchanged), "
	    "%lu declined, %u ops reached, %lu bad\n", file, mutants, same,
	    declined, ops, bad);
	return bad == 0 && file > 0 && mutants > 0 ? 0 : 1;
}
