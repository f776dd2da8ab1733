#include "AppPaths.h"
#include "CommandLine.h"

int main(int argc, char *argv[])
{
    // Before anything reads or writes them, in every mode: Qlaude's own folders 0700, its
    // files 0600 (older versions left them readable by everyone).
    qlaude::AppPaths::secureOwnFiles();
    return qlaude::runQlaude(argc, argv);
}
