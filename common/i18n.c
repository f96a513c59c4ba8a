/* SPDX-License-Identifier: MIT */
/* i18n: the clients' locale set-up (see i18n.h). */
#include "i18n.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#ifndef KT_LOCALEDIR
#define KT_LOCALEDIR "/usr/local/share/locale"
#endif

/* Binds the text domain to $KARTOTEKA_LOCALEDIR or the install's. */
static void
bind_domain(void)
{
	const char *dir = getenv("KARTOTEKA_LOCALEDIR");

	bindtextdomain(KT_TEXTDOMAIN, dir && dir[0] ? dir : KT_LOCALEDIR);
	bind_textdomain_codeset(KT_TEXTDOMAIN, "UTF-8");
	textdomain(KT_TEXTDOMAIN);
}

void
kt_i18n_init(void)
{
	setlocale(LC_ALL, "");
	bind_domain();
}

void
kt_i18n_init_messages(void)
{
	setlocale(LC_MESSAGES, "");
	bind_domain();
}

const char *
kt_i18n_lang(void)
{
	/* TRANSLATORS: the language code the client sends to the server in
	 * ClientHello, so that the server answers in the same language:
	 * "ru" in the Russian catalogue. Keep "en" for English. */
	const char *l = _("en");

	return strcmp(l, "ru") == 0 ? "ru" : "en";
}
