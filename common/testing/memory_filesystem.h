// Files in memory, so tests see exactly what a tool read and appended.
#pragma once

#include <map>
#include <string>

#include "common/base/error.h"
#include "common/base/filesystem.h"

namespace ecsmig {

class MemoryFileSystem : public FileSystem {
 public:
  std::string ReadFile(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) throw Error(path + ": no such file");
    return it->second;
  }
  void AppendFile(const std::string& path, const std::string& data) override {
    files[path] += data;
  }
  bool Exists(const std::string& path) override { return files.count(path) > 0; }
  std::map<std::string, std::string> files;
};

}  // namespace ecsmig
