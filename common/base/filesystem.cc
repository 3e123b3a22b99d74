#include "common/base/filesystem.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/base/error.h"

namespace ecsmig {

std::string RealFileSystem::ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error("cannot read " + path + ": " + std::strerror(errno));
  return buffer.str();
}

void RealFileSystem::AppendFile(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("cannot open " + path + " for appending: " + std::strerror(errno));
  size_t written = 0;
  // One write(2) normally covers the whole record; the loop only handles the
  // rare short write (signals, full disks), where we report rather than retry blindly.
  while (written < data.size()) {
    ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      int saved = errno;
      ::close(fd);
      throw Error("cannot append to " + path + ": " + std::strerror(saved));
    }
    written += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw Error("cannot append to " + path + ": " + std::strerror(errno));
}

bool RealFileSystem::Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::optional<std::pair<unsigned long long, unsigned long long>> RealFileSystem::Identity(
    const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::make_pair(static_cast<unsigned long long>(st.st_dev),
                        static_cast<unsigned long long>(st.st_ino));
}

}  // namespace ecsmig
