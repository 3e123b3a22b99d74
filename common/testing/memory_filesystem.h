// Files in memory, so tests see exactly what a tool read and appended. The one
// in-memory FileSystem of the unit tests (fake_aws.h and fake_aws_logs.h
// include it): a missing file and a refused append fail as RealFileSystem
// does, with the same messages.
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
    if (it == files.end()) throw Error("cannot read " + path + ": No such file or directory");
    return it->second;
  }
  void AppendFile(const std::string& path, const std::string& data) override {
    auto it = failing.find(path);
    if (it != failing.end()) throw Error("cannot open " + path + " for appending: " + it->second);
    files[path] += data;
    ++appends;
  }
  bool Exists(const std::string& path) override { return files.count(path) > 0; }

  std::map<std::string, std::string> files;    // path → content
  std::map<std::string, std::string> failing;  // path → strerror text its appends fail with
  int appends = 0;                             // successful AppendFile calls
};

}  // namespace ecsmig
