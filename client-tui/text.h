/* SPDX-License-Identifier: MIT */
/* Text for a terminal cell grid: strings from the server cleaned of control
 * characters and cut to a number of display columns (a Cyrillic letter is
 * one column, a CJK ideograph two, a combining mark none). */
#ifndef KT_TUI_TEXT_H
#define KT_TUI_TEXT_H

#include <stddef.h>

/* tui_text_width is the display width of UTF-8 s in columns; an invalid
 * byte or a control character counts as one column (it is shown as '?').
 * NULL is "". Needs a UTF-8 LC_CTYPE. */
size_t tui_text_width(const char *s);

/* tui_text_fit copies into out (cap bytes, always NUL-terminated when cap
 * > 0) the longest prefix of s that fits in width columns; when s is
 * wider, the prefix is cut one column shorter and ends with '…'. Control
 * characters and invalid bytes become '?', so what comes from the network
 * cannot move the cursor or change the terminal's modes. With pad, spaces
 * fill the copy up to width columns. A prefix never ends inside a UTF-8
 * sequence, even when cap runs out. Returns the columns the copy takes. */
size_t tui_text_fit(char *out, size_t cap, const char *s, size_t width,
    int pad);

/* tui_text_col appends s to the string in buf (cap bytes) cut or padded
 * to width columns, then gap spaces: a table column in display columns,
 * which printf's "%-20s" (bytes) is not for Cyrillic. */
void tui_text_col(char *buf, size_t cap, const char *s, size_t width,
    size_t gap);

/* s, or "" for NULL. */
const char *tui_str(const char *s);

/* tui_text_prev_char is the byte offset of the start of the UTF-8
 * character before offset off in s (0 when off is 0); tui_text_next_char
 * the offset after the character at off (len when off is len). */
size_t tui_text_prev_char(const char *s, size_t off);
size_t tui_text_next_char(const char *s, size_t len, size_t off);

#endif
