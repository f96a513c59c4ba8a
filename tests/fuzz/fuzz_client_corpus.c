/* SPDX-License-Identifier: MIT */
/* fuzz_client_corpus DIR [N]: writes N (default 50) packed
 * kartoteka.Client messages of generated families (tests/bench/families.c:
 * real names, phones, e-mails, children, notes) into DIR, one file each,
 * as seeds for fuzz_client, so that its mutations start from cards whose
 * phones and e-mails reach the normalisers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/families.h"
#include "kartoteka.pb-c.h"

int
main(int argc, char **argv)
{
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 10) : 50;

	if (argc < 2 || n == 0 || n > 100000) {
		fprintf(stderr, "usage: fuzz_client_corpus DIR [1..100000]\n");
		return 2;
	}
	for (unsigned long k = 1; k <= n; k++) {
		kt_family_t f;
		kt_family_pb_t pb;
		Kartoteka__Client c;
		uint8_t *buf;
		size_t len;
		char path[4096];
		FILE *out;

		kt_family_make(k, 0, &f);
		kt_family_to_client(&f, &c, &pb);
		c.branch = "Центр";
		len = kartoteka__client__get_packed_size(&c);
		if ((buf = malloc(len ? len : 1)) == NULL)
			return 1;
		kartoteka__client__pack(&c, buf);
		snprintf(path, sizeof(path), "%s/family-%lu", argv[1], k);
		if ((out = fopen(path, "wb")) == NULL ||
		    fwrite(buf, 1, len, out) != len || fclose(out) != 0) {
			fprintf(stderr, "fuzz_client_corpus: %s: %s\n", path,
			    strerror(errno));
			free(buf);
			return 1;
		}
		free(buf);
	}
	return 0;
}
