#pragma once

#include <QString>
#include <QStringList>

namespace qlaude {

// A secret too large for one keychain entry, stored as a header entry plus numbered chunk
// entries. Windows' Credential Manager holds at most 2,560 bytes per entry, and an OAuth token
// JSON can be larger; KeychainStore uses this there (and anywhere a test sets a limit).
//
// The header, stored under the secret's own key, is "qlaude-chunks:1:<count>:<UTF-8 length>";
// chunk i (from 0) is stored under chunkKey(key, i). A secret within the limit is stored as it is,
// with no header. Pure functions: nothing here touches the keychain.
namespace SecretChunks {
constexpr int kWindowsEntryLimitBytes = 2560; // CRED_MAX_CREDENTIAL_BLOB_SIZE

struct Split
{
    QString header;     // what goes under the key: the secret itself when chunks is empty
    QStringList chunks; // each at most limitBytes of UTF-8, never splitting a character
};

// Splits `secret` when its UTF-8 form is larger than limitBytes (at least 16).
Split split(const QString &secret, int limitBytes);

// How many chunks a stored header announces: 0 when the entry is a whole secret, -1 when it
// looks like a header but is malformed.
int chunkCount(const QString &stored);

// Joins what split() made. False with *error (no secret in it) when the chunks do not add up to
// what the header says (a missing or changed chunk).
bool join(const QString &header, const QStringList &chunks, QString *secret, QString *error);

QString chunkKey(const QString &key, int index);
} // namespace SecretChunks

} // namespace qlaude
