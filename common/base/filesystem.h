// Files behind an interface: tests replace it to observe or fail writes.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ecsmig {

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  // Returns the whole file. On error, throws Error naming the path and reason.
  virtual std::string ReadFile(const std::string& path) = 0;
  // Appends `data` with one write(2) on an O_APPEND descriptor, so concurrent
  // appenders never interleave within a record. Never truncates. Creates the
  // file when missing. On error, throws Error.
  virtual void AppendFile(const std::string& path, const std::string& data) = 0;
  virtual bool Exists(const std::string& path) = 0;
  // The file's (device, inode), following symbolic links, so two names of one
  // file compare equal; nullopt when it cannot be known (missing file, a fake).
  virtual std::optional<std::pair<unsigned long long, unsigned long long>> Identity(
      const std::string& /*path*/) {
    return std::nullopt;
  }
};

class RealFileSystem : public FileSystem {
 public:
  std::string ReadFile(const std::string& path) override;
  void AppendFile(const std::string& path, const std::string& data) override;
  bool Exists(const std::string& path) override;
  std::optional<std::pair<unsigned long long, unsigned long long>> Identity(
      const std::string& path) override;
};

}  // namespace ecsmig
