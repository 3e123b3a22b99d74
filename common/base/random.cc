#include "common/base/random.h"

#include <sys/random.h>

#include <cerrno>

#include "common/base/error.h"

namespace ecsmig {

double Random::NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

std::string Random::Hex(size_t bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes * 2);
  uint64_t word = 0;
  for (size_t i = 0; i < bytes; ++i) {
    if (i % 8 == 0) word = NextU64();
    unsigned char byte = static_cast<unsigned char>(word >> ((i % 8) * 8));
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

uint64_t SecureRandom::NextU64() {
  // The kernel's generator directly: OpenSSL's RAND_bytes first sets up its
  // DRBG through the provider machinery (~8 million instructions, more than
  // a short detect-schema-change run costs in all).
  uint64_t value = 0;
  auto* out = reinterpret_cast<unsigned char*>(&value);
  size_t got = 0;
  while (got < sizeof value) {
    ssize_t n = getrandom(out + got, sizeof value - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error("the system random number generator failed");
    got += static_cast<size_t>(n);
  }
  return value;
}

uint64_t SeededRandom::NextU64() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace ecsmig
