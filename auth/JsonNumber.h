#pragma once

#include <QtGlobal>

#include <cmath>
#include <limits>

namespace qlaude {

// A JSON number (a double) as a whole number. Converting a double beyond qint64's range (or NaN)
// with a plain cast is undefined behaviour, and a server or a stored file may hold 1e300 in an
// expiry field: this one saturates instead (NaN: 0). Found by tests/fuzz/fuzz_token_json.
inline qint64 jsonNumberToInt64(double value)
{
    if (std::isnan(value))
        return 0;
    // 2^63 is exactly representable; every double below it converts safely.
    constexpr double kLimit = 9223372036854775808.0;
    if (value >= kLimit)
        return std::numeric_limits<qint64>::max();
    if (value < -kLimit)
        return std::numeric_limits<qint64>::min();
    return qint64(value);
}

} // namespace qlaude
