#include "CommandLine.h"

int main(int argc, char *argv[])
{
    return qlaude::runQlaude(argc, argv);
}
