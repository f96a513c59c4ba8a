/* SPDX-License-Identifier: MIT */
/*
 * i18n: the translation macros and the clients' locale set-up.
 *
 * Every message a person reads is written in English in the sources and
 * marked: _("...") where it is used, N_("...") in static tables (then
 * _() at the use), P_("1 client", "%d clients", n) where a number picks
 * the form. xgettext collects the marks into po/kartoteka.pot (target
 * `po-update`), translations live in po/LANG.po, CMake compiles them into
 * LOCALEDIR/LANG/LC_MESSAGES/kartoteka.mo, and the test i18n.po_complete
 * fails while a marked message has no translation or a print call in a
 * linted directory (po/LINT) carries an unmarked one.
 *
 * The clients use glibc's gettext, which follows LC_ALL / LC_MESSAGES /
 * LANG (LANGUAGE too, once the locale is not C). The server cannot: it
 * answers many people in their own languages at once, so it looks its
 * catalogues up itself by the language a client names in ClientHello.
 */
#ifndef KT_I18N_H
#define KT_I18N_H

#include <libintl.h>

#define KT_TEXTDOMAIN "kartoteka"

#define _(s) gettext(s)
#define N_(s) s
#define P_(s, p, n) ngettext((s), (p), (unsigned long)(n))

/*
 * kt_i18n_init: setlocale(LC_ALL, "") and binds the text domain to
 * $KARTOTEKA_LOCALEDIR when set (tests point it at the build's locale/),
 * else to the directory compiled in (KT_LOCALEDIR, the install's).
 * A locale that the system does not have leaves the C locale: English.
 */
void kt_i18n_init(void);

/*
 * kt_i18n_init_messages: as kt_i18n_init, but only LC_MESSAGES follows
 * the environment: kartotekad's own output (usage, init, invite,
 * restore, verify) is in the owner's language, while the numbers, the
 * character classes and every other category the server's work depends
 * on stay C. The server's answers to clients do not use this at all
 * (server/catalog.h).
 */
void kt_i18n_init_messages(void);

/*
 * kt_i18n_lang: the language messages are shown in, as a short code for
 * ClientHello: "ru" when the Russian catalogue is in use, else "en".
 * Returns a static string.
 */
const char *kt_i18n_lang(void);

#endif
