#pragma once

#include <QByteArray>
#include <QString>

// Text from settings files, the environment or the file system, made safe to show: on a
// terminal (--trust, --doctor) and in the dialogs. A project's settings can hold a command with
// terminal escape sequences or bidirectional overrides that make it look like another command;
// shown through these functions, what is displayed is what would run.

namespace qlaude {

// Escapes every character that could redraw a terminal, reorder or hide text:
// - C0 controls, DEL and C1 controls (U+0080..U+009F): "\e" for ESC, "\n", "\r", "\t" for
//   those three, "\xNN" (two lowercase hex digits) for the others. A newline in a command is
//   therefore visible as "\n" and never a line break.
// - Unicode format characters (category Cf: bidi embeddings, overrides and isolates U+202A..
//   U+202E, U+2066..U+2069, the marks U+200E, U+200F, U+061C, the zero-width characters
//   U+200B..U+200D, U+2060, U+FEFF, tag characters, ...), the line and paragraph separators
//   U+2028/U+2029 and lone surrogates: "\uXXXX" (four lowercase hex digits), "\UXXXXXXXX"
//   (eight) above U+FFFF.
// Everything else, including a literal backslash, is shown as it is: the result is for reading,
// not for parsing back (a command that contains the two characters "\e" looks like an escaped
// ESC; the raw bytes are in the settings file and in --doctor --json).
QString displaySafe(const QString &text);

// The same escaping, applied line by line to a text whose line breaks are its own layout (a
// report made of several lines): the '\n' between lines stays a line break.
QString displaySafeLines(const QString &text);

// JSON text (QJsonDocument output) with every character displaySafe() would escape written as
// a JSON "\uXXXX" escape (surrogate pairs above U+FFFF). The parsed value is unchanged, but the
// text can be printed on a terminal.
QByteArray terminalSafeJson(const QByteArray &json);

// A URL with its password replaced by "…": "http://user:…@host/". The rest of the text is kept
// as written (no normalization). Text without a password in its authority is returned as it
// is; a value without "scheme://" (a proxy given as "user:pw@host:port") is handled too.
QString redactUrlPassword(const QString &url);

} // namespace qlaude
