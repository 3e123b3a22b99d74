// Randomness behind an interface (delimiters, jitter, client tokens), so
// tests can make it deterministic.
#pragma once

#include <cstdint>
#include <string>

namespace ecsmig {

class Random {
 public:
  virtual ~Random() = default;
  virtual uint64_t NextU64() = 0;
  // Uniform in [0, 1).
  double NextDouble();
  // `bytes` random bytes as lowercase hex.
  std::string Hex(size_t bytes);
};

// Cryptographically strong (the kernel's getrandom(2)): heredoc delimiters must
// not be guessable by whoever controls a value.
class SecureRandom : public Random {
 public:
  uint64_t NextU64() override;
};

// Deterministic sequence for tests (splitmix64).
class SeededRandom : public Random {
 public:
  explicit SeededRandom(uint64_t seed) : state_(seed) {}
  uint64_t NextU64() override;

 private:
  uint64_t state_;
};

}  // namespace ecsmig
