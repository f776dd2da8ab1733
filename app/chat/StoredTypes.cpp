#include "StoredTypes.h"

#include <QStringList>

#include <utility>

namespace qlaude {

namespace {

template<typename Enum, size_t N>
QString nameOf(const std::pair<Enum, const char *> (&table)[N], Enum value)
{
    for (const auto &entry : table) {
        if (entry.first == value)
            return QString::fromLatin1(entry.second);
    }
    return {};
}

template<typename Enum, size_t N>
std::optional<Enum> valueOf(const std::pair<Enum, const char *> (&table)[N], const QString &name)
{
    for (const auto &entry : table) {
        if (name == QLatin1String(entry.second))
            return entry.first;
    }
    return std::nullopt;
}

const std::pair<MessageRole, const char *> kRoles[] = {
    {MessageRole::User, "user"},
    {MessageRole::Assistant, "assistant"},
};

const std::pair<MessageStatus, const char *> kStatuses[] = {
    {MessageStatus::Complete, "complete"}, {MessageStatus::Streaming, "streaming"},
    {MessageStatus::Stopped, "stopped"},   {MessageStatus::Interrupted, "interrupted"},
    {MessageStatus::Error, "error"},
};

const std::pair<BlockType, const char *> kBlockTypes[] = {
    {BlockType::Text, "text"},
    {BlockType::Thinking, "thinking"},
    {BlockType::RedactedThinking, "redacted_thinking"},
    {BlockType::ToolUse, "tool_use"},
    {BlockType::ToolResult, "tool_result"},
    {BlockType::Other, "other"},
};

} // namespace

QString messageRoleName(MessageRole role)
{
    return nameOf(kRoles, role);
}

std::optional<MessageRole> messageRoleFromName(const QString &name)
{
    return valueOf(kRoles, name);
}

QString messageStatusName(MessageStatus status)
{
    return nameOf(kStatuses, status);
}

std::optional<MessageStatus> messageStatusFromName(const QString &name)
{
    return valueOf(kStatuses, name);
}

QString blockTypeName(BlockType type)
{
    return nameOf(kBlockTypes, type);
}

std::optional<BlockType> blockTypeFromName(const QString &name)
{
    return valueOf(kBlockTypes, name);
}

QString StoredMessage::plainText() const
{
    QStringList parts;
    for (const StoredBlock &block : blocks) {
        if (block.type == BlockType::Text)
            parts.append(block.text);
    }
    return parts.join(QLatin1Char('\n'));
}

} // namespace qlaude
