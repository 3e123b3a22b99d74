// A scratch git repository built with the git CLI, for unit tests of code
// that reads repositories with libgit2 (the code under test never runs git).
#pragma once

#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ecsmig {

class ScratchRepo {
 public:
  ScratchRepo() {
    char tmpl[] = "/tmp/ecsmig-repo-XXXXXX";
    dir_ = mkdtemp(tmpl);
    Git("init -q -b main");
  }
  ~ScratchRepo() { std::filesystem::remove_all(dir_); }
  ScratchRepo(const ScratchRepo&) = delete;
  ScratchRepo& operator=(const ScratchRepo&) = delete;

  // Runs `git ARGS` in the repository with a fixed identity and no user config.
  void Git(const std::string& args) {
    std::string cmd = "cd '" + dir_ + "' && " + kGitEnv + "git " + args + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  // The full sha `rev` names.
  std::string RevParse(const std::string& rev) {
    std::string cmd = "git -C '" + dir_ + "' rev-parse " + rev;
    FILE* pipe = popen(cmd.c_str(), "r");
    char buf[128] = {0};
    if (!pipe || !fgets(buf, sizeof buf, pipe)) ADD_FAILURE() << cmd;
    if (pipe) pclose(pipe);
    std::string sha(buf);
    while (!sha.empty() && (sha.back() == '\n' || sha.back() == '\r')) sha.pop_back();
    return sha;
  }
  void Write(const std::string& rel, const std::string& data) {
    std::filesystem::path p = std::filesystem::path(dir_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << data;
  }
  void Remove(const std::string& rel) {
    std::filesystem::remove_all(std::filesystem::path(dir_) / rel);
  }
  // Commits everything in the work tree (an empty commit when nothing changed).
  void Commit(const std::string& message = "c") {
    Git("add -A");
    Git("commit -q --allow-empty -m '" + message + "'");
  }
  const std::string& dir() const { return dir_; }

 private:
  static constexpr const char* kGitEnv =
      "GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t "
      "GIT_AUTHOR_EMAIL=t@e GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@e ";
  std::string dir_;
};

}  // namespace ecsmig
