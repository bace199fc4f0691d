#include "common/files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cstring>

#include "common/errors.h"

namespace wgtune {
namespace {

[[noreturn]] void ThrowIoError(const std::string& what, const std::string& path, int err) {
  std::string message = what + " " + path + ": " + std::strerror(err);
  if (err == EACCES || err == EPERM) throw PermissionError(message);
  throw IoError(message);
}

// ESRCH: a /proc/<pid> file whose process exited between open and read.
bool IsAbsence(int err) { return err == ENOENT || err == ENOTDIR || err == ESRCH; }

}  // namespace

std::string JoinPath(std::string_view root, std::string_view relative) {
  std::string path(root);
  while (!relative.empty() && relative.front() == '/') relative.remove_prefix(1);
  if (path.empty() || path.back() != '/') path.push_back('/');
  path.append(relative);
  return path;
}

std::optional<std::string> ReadFileIfExists(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (IsAbsence(errno)) return std::nullopt;
    ThrowIoError("open", path, errno);
  }
  // procfs and sysfs report size 0, so read in chunks until EOF rather than trusting stat.
  std::string content;
  char buffer[16384];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      content.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) break;
    if (errno == EINTR) continue;
    int err = errno;
    ::close(fd);
    // Some sysfs attributes exist but refuse reads when the device does not support them
    // (e.g. EINVAL/EOPNOTSUPP on virtual devices); for callers that is an absent value.
    if (IsAbsence(err) || err == EINVAL || err == EOPNOTSUPP || err == ENODEV) return std::nullopt;
    ThrowIoError("read", path, err);
  }
  ::close(fd);
  return content;
}

std::string ReadFile(const std::string& path) {
  auto content = ReadFileIfExists(path);
  if (!content) ThrowIoError("open", path, ENOENT);
  return std::move(*content);
}

std::optional<std::string> ReadAttribute(const std::string& path) {
  auto content = ReadFileIfExists(path);
  if (!content) return std::nullopt;
  std::string_view view(*content);
  while (!view.empty() && std::isspace(static_cast<unsigned char>(view.back()))) view.remove_suffix(1);
  while (!view.empty() && std::isspace(static_cast<unsigned char>(view.front()))) view.remove_prefix(1);
  return std::string(view);
}

std::vector<std::string> ListDirectory(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (IsAbsence(errno)) return names;
    ThrowIoError("opendir", path, errno);
  }
  while (const dirent* entry = ::readdir(dir)) {
    std::string_view name(entry->d_name);
    if (name == "." || name == "..") continue;
    names.emplace_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::optional<std::string> ReadLink(const std::string& path) {
  char target[4096];
  ssize_t n = ::readlink(path.c_str(), target, sizeof target - 1);
  if (n < 0) return std::nullopt;
  return std::string(target, static_cast<size_t>(n));
}

std::optional<std::string> ReadLinkBasename(const std::string& path) {
  std::optional<std::string> target = ReadLink(path);
  if (!target) return std::nullopt;
  size_t slash = target->rfind('/');
  return slash == std::string::npos ? *target : target->substr(slash + 1);
}

bool PathExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace wgtune
