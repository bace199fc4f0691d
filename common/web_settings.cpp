#include "common/web_settings.h"

#include <sys/stat.h>

#include <stdexcept>

#include "common/logging.h"

namespace wgtune {
namespace {

std::vector<std::string> NamedFiles(const WebConfig& config) {
  std::vector<std::string> files;
  for (const std::string* file : {&config.tls.cert_file, &config.tls.key_file, &config.tls.client_ca_file}) {
    if (!file->empty()) files.push_back(*file);
  }
  return files;
}

}  // namespace

WebSettings::WebSettings(std::string path) : path_(std::move(path)) {
  if (path_.empty()) {
    current_ = std::make_shared<const WebSnapshot>();
    return;
  }
  current_ = Load();
  tls_ = current_->config.tls.enabled();
  stamps_ = Stamps(&current_->config);
}

std::vector<WebSettings::FileStamp> WebSettings::Stamps(const WebConfig* config) const {
  std::vector<std::string> files = {path_};
  if (config != nullptr) {
    for (std::string& file : NamedFiles(*config)) files.push_back(std::move(file));
  }
  std::vector<FileStamp> stamps;
  for (const std::string& file : files) {
    struct stat info {};
    FileStamp stamp;
    if (stat(file.c_str(), &info) == 0) {
      stamp = {static_cast<unsigned long>(info.st_ino), static_cast<long long>(info.st_size),
               info.st_mtim.tv_sec * 1000000000LL + info.st_mtim.tv_nsec,
               info.st_ctim.tv_sec * 1000000000LL + info.st_ctim.tv_nsec};
    }
    stamps.push_back(stamp);
  }
  return stamps;
}

std::shared_ptr<const WebSnapshot> WebSettings::Load() const {
  auto snapshot = std::make_shared<WebSnapshot>();
  snapshot->config = ReadWebConfig(path_);
  if (snapshot->config.tls.enabled()) snapshot->tls = MakeTlsServerContext(snapshot->config.tls);
  return snapshot;
}

std::shared_ptr<const WebSnapshot> WebSettings::Current() {
  if (path_.empty()) return current_;
  std::lock_guard lock(mutex_);
  // The files the last good configuration names (a broken one names none of its own).
  std::vector<FileStamp> stamps = Stamps(&current_->config);
  if (stamps == stamps_) return broken_ ? nullptr : current_;
  stamps_ = stamps;
  try {
    auto loaded = Load();
    if (loaded->config.tls.enabled() != tls_) {
      throw std::runtime_error("TLS cannot be switched on or off without a restart");
    }
    current_ = std::move(loaded);
    broken_ = false;
    stamps_ = Stamps(&current_->config);
    Log(spdlog::level::info, "web configuration reloaded", {{"file", path_}});
  } catch (const std::exception& error) {
    // Logged once: the stamps are kept, so the same broken files are not re-read.
    Log(spdlog::level::err, "web configuration invalid, requests fail until it is mended",
        {{"file", path_}, {"err", error.what()}});
    broken_ = true;
  }
  return broken_ ? nullptr : current_;
}

}  // namespace wgtune
