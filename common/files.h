// Reading kernel pseudo-files under a configurable root.
//
// Every path the exporter reads goes through these calls, rooted at --path.procfs or
// --path.sysfs, so that the whole program runs unchanged against a fixture tree.
// Absent is not an error: ReadFileIfExists returns nullopt for ENOENT/ENOTDIR (an optional
// attribute a kernel, driver or container does not provide), and throws IoError otherwise:
// PermissionError (an IoError) for EACCES and EPERM, a permission the exporter's user lacks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wgtune {

// Joins a root and a relative path ("/proc" + "net/softnet_stat").
std::string JoinPath(std::string_view root, std::string_view relative);

// Reads a whole file. Throws IoError when it is absent or unreadable.
std::string ReadFile(const std::string& path);

// Reads a whole file; nullopt when it does not exist. Throws IoError on other errors.
std::optional<std::string> ReadFileIfExists(const std::string& path);

// Like ReadFileIfExists, with surrounding whitespace (the trailing newline) removed:
// the usual shape of a one-value sysfs attribute or sysctl.
std::optional<std::string> ReadAttribute(const std::string& path);

// Names in a directory, sorted, without "." and "..". Empty when the directory does
// not exist; throws IoError when it exists but cannot be read.
std::vector<std::string> ListDirectory(const std::string& path);

// The target of a symbolic link, or nullopt when the path is not a link or is absent.
std::optional<std::string> ReadLink(const std::string& path);

// The last path component of a link's target: "mlx5_core" for a device/driver link,
// "7870:00:02.0" for a device link. nullopt when the path is not a link or is absent.
std::optional<std::string> ReadLinkBasename(const std::string& path);

// True when the path exists (following links).
bool PathExists(const std::string& path);

// True when the path is a directory (following links: /sys/class/net/<dev> is a link to one).
// False when it is absent or anything else, such as the bonding_masters file in class/net.
bool IsDirectory(const std::string& path);

}  // namespace wgtune
