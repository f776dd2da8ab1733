#pragma once
// Shared by the libFuzzer targets in tests/fuzz (see README.md there).
#include <QByteArray>
#include <QByteArrayView>
#include <QCoreApplication>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace qlaude::fuzz {

// A property the code under test must keep; a broken one is a finding like a crash.
#define QLAUDE_FUZZ_CHECK(condition, what)                                                         \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", what, __FILE__, __LINE__);     \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

// One QCoreApplication for the targets that need an event loop or Qt's network stack.
inline QCoreApplication *application()
{
    static int argc = 1;
    static char name[] = "qlaude-fuzz";
    static char *argv[] = {name, nullptr};
    static QCoreApplication *app = new QCoreApplication(argc, argv);
    return app;
}

// Cuts `data` into pieces whose lengths follow from the data itself (the same input is always
// cut the same way), so a decoder can be fed as a network read would feed it.
inline std::vector<QByteArrayView> pieces(QByteArrayView data)
{
    std::vector<QByteArrayView> out;
    uint32_t state = 2166136261u;
    for (char c : data.first(qMin<qsizetype>(data.size(), 64)))
        state = (state ^ uint8_t(c)) * 16777619u;
    qsizetype pos = 0;
    while (pos < data.size()) {
        state = state * 1103515245u + 12345u;
        const qsizetype length = qMin<qsizetype>(1 + (state >> 16) % 97, data.size() - pos);
        out.push_back(data.sliced(pos, length));
        pos += length;
    }
    return out;
}

inline QByteArrayView view(const uint8_t *data, size_t size)
{
    return QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size));
}

} // namespace qlaude::fuzz
