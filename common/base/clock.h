// Wall time, monotonic time and sleeping behind one interface, so tests of
// polling, retries, credential expiry and signing run on a fake clock.
#pragma once

#include <chrono>

namespace ecsmig {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() const = 0;
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  virtual void SleepFor(std::chrono::milliseconds duration) = 0;
};

class SystemClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override;
  std::chrono::steady_clock::time_point Monotonic() const override;
  // Sleeps, but returns early when a cancellation signal arrived (signals.h).
  void SleepFor(std::chrono::milliseconds duration) override;
};

// A clock that only moves when slept on or advanced. Thread-compatible, not
// thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(std::chrono::system_clock::time_point start =
                         std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)))
      : wall_(start) {}
  std::chrono::system_clock::time_point Now() const override { return wall_; }
  std::chrono::steady_clock::time_point Monotonic() const override { return mono_; }
  void SleepFor(std::chrono::milliseconds duration) override {
    Advance(duration);
    slept_ += duration;
  }
  void Advance(std::chrono::milliseconds duration) {
    wall_ += duration;
    mono_ += duration;
  }
  std::chrono::milliseconds total_slept() const { return slept_; }

 private:
  std::chrono::system_clock::time_point wall_;
  std::chrono::steady_clock::time_point mono_{};
  std::chrono::milliseconds slept_{0};
};

}  // namespace ecsmig
