// The process environment behind an interface, so tests can replace it.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace ecsmig {

class Environment {
 public:
  virtual ~Environment() = default;
  // Returns the variable's value, or nullopt when unset. An empty value is
  // returned as "" (callers decide whether empty means unset).
  virtual std::optional<std::string> Get(const std::string& name) const = 0;

  // The value, or `fallback` when unset or empty.
  std::string GetOr(const std::string& name, const std::string& fallback = "") const;
  // True for "true"/"1"/"yes" (case-insensitive).
  bool IsTrue(const std::string& name) const;
};

class ProcessEnvironment : public Environment {
 public:
  std::optional<std::string> Get(const std::string& name) const override;
};

class MapEnvironment : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}
  std::optional<std::string> Get(const std::string& name) const override;
  void Set(const std::string& name, const std::string& value) { vars_[name] = value; }
  void Unset(const std::string& name) { vars_.erase(name); }

 private:
  std::map<std::string, std::string> vars_;
};

}  // namespace ecsmig
