#include "CommandLine.h"

#include <QCoreApplication>
#include <QTextStream>

namespace qlaude {
int runQlaude(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QTextStream(stdout) << "qlaude " << QLAUDE_VERSION << "\n";
    return 0;
}
} // namespace qlaude
