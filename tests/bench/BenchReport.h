#pragma once
// One line per figure, the same for every benchmark, so ./scripts/bench can list them together
// and two commits can be compared:
//   bench first-paint                        median 212.00  min 198.00  max 250.00  ms  target <
//   300  met
// Fields: name, median, min, max, unit, target (with its direction), verdict. A missed target is
// reported as MISSED, never an exit failure. When QLAUDE_BENCH_JSON names a file, each figure is
// also appended to it as one JSON object per line (scripts/bench --json collects them).
#include <QByteArray>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace qlaude::bench {

enum class Better
{
    Lower,
    Higher
};

struct Target
{
    double value = std::nan("");
    Better better = Better::Lower;

    static Target below(double v) { return {v, Better::Lower}; }
    static Target above(double v) { return {v, Better::Higher}; }
    static Target none(Better b = Better::Lower) { return {std::nan(""), b}; }
    bool exists() const { return !std::isnan(value); }
};

inline double medianOf(std::vector<double> v)
{
    if (v.empty())
        return std::nan("");
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Prints the figure's line and appends it to $QLAUDE_BENCH_JSON. Returns whether the target was
// met (true when there is none).
inline bool report(const QByteArray &name, const std::vector<double> &samples, const char *unit,
                   Target target)
{
    const double med = medianOf(samples);
    const double lo = samples.empty() ? med : *std::min_element(samples.begin(), samples.end());
    const double hi = samples.empty() ? med : *std::max_element(samples.begin(), samples.end());
    const bool lower = target.better == Better::Lower;
    const bool met = !target.exists() || (lower ? med < target.value : med >= target.value);
    char targetText[64] = "-";
    if (target.exists())
        std::snprintf(targetText, sizeof targetText, "%s %g", lower ? "<" : ">=", target.value);
    std::printf("bench %-44s median %10.2f  min %10.2f  max %10.2f  %-6s target %-9s %s\n",
                name.constData(), med, lo, hi, unit, targetText,
                target.exists() ? (met ? "met" : "MISSED") : "-");
    std::fflush(stdout);

    const QByteArray jsonPath = qgetenv("QLAUDE_BENCH_JSON");
    if (!jsonPath.isEmpty()) {
        QJsonObject o{
            {QStringLiteral("name"), QString::fromUtf8(name)},
            {QStringLiteral("median"), med},
            {QStringLiteral("min"), lo},
            {QStringLiteral("max"), hi},
            {QStringLiteral("unit"), QString::fromUtf8(unit)},
            {QStringLiteral("runs"), qint64(samples.size())},
            {QStringLiteral("better"), lower ? QStringLiteral("lower") : QStringLiteral("higher")}};
        if (target.exists()) {
            o.insert(QStringLiteral("target"), target.value);
            o.insert(QStringLiteral("met"), met);
        }
        QFile file(QString::fromLocal8Bit(jsonPath));
        if (file.open(QIODevice::WriteOnly | QIODevice::Append))
            file.write(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        else
            std::fprintf(stderr, "bench: cannot append to %s\n", jsonPath.constData());
    }
    return met;
}

// A figure measured once (a ratio, a peak): median, min and max are that value.
inline bool report(const QByteArray &name, double value, const char *unit, Target target)
{
    return report(name, std::vector<double>{value}, unit, target);
}

} // namespace qlaude::bench
