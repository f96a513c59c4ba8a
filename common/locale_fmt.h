/* SPDX-License-Identifier: MIT */
/*
 * locale_fmt: dates, times and amounts of money as a person reads them in
 * the language of the messages (issue 12): Russian "29.11.2026",
 * "1 234 567,50"; English "2026-11-29", "1,234,567.50".
 *
 * Only the clients' human output goes through here. Machine-readable
 * output (--json, CSV export, files read back) keeps its fixed formats,
 * and input is parsed as before (both forms where both were accepted).
 *
 * The language: lang "ru" or "en" as given, NULL for kt_i18n_lang() (the
 * catalogue in use, so the formats always match the words around them).
 * Any other code is English.
 *
 * The thousands separator in Russian is a plain space U+0020, not the
 * no-break space U+00A0 that typography would prefer: the CLI's tables
 * size their columns by bytes, and two-byte separators would shift them;
 * a value copied from the output back into --amount is read either way
 * (kt_amount_parse takes U+0020, U+00A0 and U+202F); and scripts that
 * cut fields on spaces see one kind of space. The lines are short, so a
 * break inside a number is no practical risk on a terminal.
 *
 * Every function writes a NUL-terminated string into out (cap bytes,
 * truncated when short; the _MAX sizes below always suffice) and returns
 * out. None allocates; all are safe to call from any thread.
 */
#ifndef KT_LOCALE_FMT_H
#define KT_LOCALE_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes a date needs: "29.11.2026" or "2026-11-29" and the NUL, with
 * room for a five-digit year. */
#define KT_FMT_DATE_MAX 16u
/* Bytes a date-time needs: "29.11.2026 14:05:09 +0300" and the NUL. */
#define KT_FMT_DATETIME_MAX 40u
/* Bytes an amount needs: "-999,999,999,999,999.999" and the NUL. */
#define KT_FMT_MONEY_MAX 32u

/* kt_fmt_is_ru: 1 when lang (NULL: kt_i18n_lang()) is Russian, else 0. */
int kt_fmt_is_ru(const char *lang);

/*
 * kt_fmt_ymd: the calendar date y-m-d. Year 0 means "unknown year" (a
 * birthday without one): "29.11" in Russian, "--11-29" in English. A
 * month or day out of range gives "?".
 */
char *kt_fmt_ymd(unsigned y, unsigned m, unsigned d, const char *lang,
    char *out, size_t cap);

/*
 * kt_fmt_day: unix day number (days since 1970-01-01, UTC calendar; may
 * be negative) as a date.
 */
char *kt_fmt_day(int64_t day, const char *lang, char *out, size_t cap);

/*
 * kt_fmt_date_text: a date the server sent as text. A leading
 * "YYYY-MM-DD" (or "--MM-DD") is rewritten in the local form and what
 * follows it (" 14:00", say) is kept as it is; any other text is copied
 * unchanged, so nothing the server says is lost. NULL gives "".
 */
char *kt_fmt_date_text(const char *s, const char *lang, char *out,
    size_t cap);

/*
 * kt_fmt_month_text: a month the server sent as text, "YYYY-MM": Russian
 * "11.2026", English as it is. Any other text is copied unchanged; NULL
 * gives "".
 */
char *kt_fmt_month_text(const char *s, const char *lang, char *out,
    size_t cap);

/*
 * kt_fmt_datetime: unix seconds secs in the local time zone, as a date
 * and a time "HH:MM" (seconds != 0: "HH:MM:SS"; zone != 0: then " +0300").
 * secs that localtime cannot take is written as the number.
 */
char *kt_fmt_datetime(int64_t secs, int seconds, int zone, const char *lang,
    char *out, size_t cap);

/*
 * kt_fmt_local_date: the local calendar day of unix seconds secs as a
 * date (no time). secs that localtime cannot take gives the number.
 */
char *kt_fmt_local_date(int64_t secs, const char *lang, char *out,
    size_t cap);

/*
 * kt_fmt_money: v minor units at exp (0..3; more is taken as 3) digits
 * after the decimal mark: groups of three, Russian "1 234 567,50",
 * English "1,234,567.50"; exp 0: "5 000" / "5,000". Negative v gets a
 * leading '-'. INT64_MIN is written correctly.
 */
char *kt_fmt_money(int64_t v, unsigned exp, const char *lang, char *out,
    size_t cap);

/*
 * kt_fmt_scope: the scope of an agenda or a report as the server names it
 * ("user masha", "branch Центр", "branch Центр, manager masha",
 * "manager masha", "branches of irina", "all branches": server/ops/
 * agenda.c and report.c) in the language of the messages; the names stay
 * as they are. Any other text is copied unchanged; NULL gives "".
 */
char *kt_fmt_scope(const char *s, char *out, size_t cap);

#endif
