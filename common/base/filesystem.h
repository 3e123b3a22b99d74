// Files behind an interface: tests replace it to observe or fail writes.
#pragma once

#include <optional>
#include <string>

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
};

class RealFileSystem : public FileSystem {
 public:
  std::string ReadFile(const std::string& path) override;
  void AppendFile(const std::string& path, const std::string& data) override;
  bool Exists(const std::string& path) override;
};

}  // namespace ecsmig
