/* SPDX-License-Identifier: MIT */
/* The configuration file of `kartotekad run`: text to checked
 * (line, key, value) entries (config_file.h has the syntax). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_file.h"
#include "kt_error.h"

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* A copy of the n bytes at s as a string, or NULL. */
static char *
dup_n(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int
key_known(const char *const *keys, const char *k, size_t n)
{
	for (; *keys != NULL; keys++)
		if (strlen(*keys) == n && memcmp(*keys, k, n) == 0)
			return 1;
	return 0;
}

void
kt_config_file_free(kt_config_file_t *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->entries);
	free(c->path);
	free(c);
}

/* Checks one line (n bytes at s, no '\n') and, unless it is blank or a
 * comment, appends its entry to c. Returns 0, KT_EINVAL (err set) or
 * KT_ENOMEM. */
static int
parse_line(kt_config_file_t *c, const char *const *keys, unsigned line,
    const char *s, size_t n, char *err, size_t errcap)
{
	const char *eq, *k, *v, *end = s + n;
	size_t kn, vn;
	kt_config_entry_t *grown, *e;

	if (n > 0 && s[n - 1] == '\r')          /* a file written on Windows */
		end--;
	if (memchr(s, '\0', (size_t)(end - s)) != NULL) {
		snprintf(err, errcap, "%s:%u: a NUL byte in the line", c->path,
		    line);
		return KT_EINVAL;
	}
	for (const char *p = s; p < end; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			snprintf(err, errcap, "%s:%u: a control character "
			    "(0x%02x) in the line", c->path, line,
			    (unsigned)(unsigned char)*p);
			return KT_EINVAL;
		}
	while (s < end && is_blank(*s))
		s++;
	while (end > s && is_blank(end[-1]))
		end--;
	if (s == end || *s == '#')
		return 0;
	if ((eq = memchr(s, '=', (size_t)(end - s))) == NULL) {
		snprintf(err, errcap, "%s:%u: expected `key = value`, got "
		    "'%.*s'", c->path, line,
		    end - s > 40 ? 40 : (int)(end - s), s);
		return KT_EINVAL;
	}
	k = s;
	kn = (size_t)(eq - s);
	while (kn > 0 && is_blank(k[kn - 1]))
		kn--;
	v = eq + 1;
	while (v < end && is_blank(*v))
		v++;
	vn = (size_t)(end - v);
	if (kn == 0) {
		snprintf(err, errcap, "%s:%u: no key before '='", c->path, line);
		return KT_EINVAL;
	}
	if (!key_known(keys, k, kn)) {
		snprintf(err, errcap, "%s:%u: unknown key '%.*s'", c->path, line,
		    kn > 64 ? 64 : (int)kn, k);
		return KT_EINVAL;
	}
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->entries[i].key) == kn &&
		    memcmp(c->entries[i].key, k, kn) == 0) {
			snprintf(err, errcap, "%s:%u: '%.*s' is set again (first "
			    "on line %u); keep one", c->path, line, (int)kn, k,
			    c->entries[i].line);
			return KT_EINVAL;
		}
	if (vn > 0 && *v == '"') {
		if (vn < 2 || v[vn - 1] != '"') {
			snprintf(err, errcap, "%s:%u: '%.*s': the value opens a "
			    "quote it does not close", c->path, line, (int)kn, k);
			return KT_EINVAL;
		}
		v++;
		vn -= 2;
	}
	if (vn == 0) {
		snprintf(err, errcap, "%s:%u: '%.*s' has no value (leave the "
		    "line out for the default)", c->path, line, (int)kn, k);
		return KT_EINVAL;
	}
	grown = realloc(c->entries, (c->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return KT_ENOMEM;
	c->entries = grown;
	e = &c->entries[c->n];
	e->line = line;
	e->key = dup_n(k, kn);
	e->value = dup_n(v, vn);
	if (e->key == NULL || e->value == NULL) {
		free(e->key);
		free(e->value);
		return KT_ENOMEM;
	}
	c->n++;
	return 0;
}

int
kt_config_file_parse(const char *path, const char *text, size_t len,
    const char *const *keys, kt_config_file_t **out, char *err,
    size_t errcap)
{
	kt_config_file_t *c = NULL;
	size_t pos = 0;
	unsigned line = 0;
	int rc;

	*out = NULL;
	if (len > KT_CONFIG_FILE_MAX) {
		snprintf(err, errcap, "%s: larger than %u bytes: not a "
		    "configuration file", path, KT_CONFIG_FILE_MAX);
		return KT_EINVAL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = dup_n(path, strlen(path))) == NULL) {
		rc = KT_ENOMEM;
		goto out;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		line++;
		if (n > KT_CONFIG_LINE_MAX) {
			snprintf(err, errcap, "%s:%u: longer than %u bytes",
			    path, line, KT_CONFIG_LINE_MAX);
			rc = KT_EINVAL;
			goto out;
		}
		if ((rc = parse_line(c, keys, line, text + pos, n, err,
		    errcap)) != 0)
			goto out;
		pos += n + (nl != NULL);
	}
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (rc == KT_ENOMEM)
		snprintf(err, errcap, "%s: out of memory", path);
	kt_config_file_free(c);
	return rc;
}

int
kt_config_file_read(const char *path, const char *const *keys,
    kt_config_file_t **out, char *err, size_t errcap)
{
	FILE *f = NULL;
	char *buf = NULL;
	size_t len;
	int rc;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return errno == ENOENT ? KT_ENOTFOUND : KT_EIO;
	}
	/* One byte more than allowed tells a file that is too large. */
	if ((buf = malloc(KT_CONFIG_FILE_MAX + 1)) == NULL) {
		snprintf(err, errcap, "%s: out of memory", path);
		rc = KT_ENOMEM;
		goto out;
	}
	len = fread(buf, 1, KT_CONFIG_FILE_MAX + 1, f);
	if (ferror(f)) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		rc = KT_EIO;
		goto out;
	}
	rc = kt_config_file_parse(path, buf, len, keys, out, err, errcap);
out:
	free(buf);
	fclose(f);
	return rc;
}
