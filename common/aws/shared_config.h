// The AWS shared config files: ~/.aws/config ("[default]", "[profile NAME]")
// and ~/.aws/credentials ("[NAME]"), parsed as the AWS SDKs' shared
// configuration spec describes:
//   - full-line comments start with '#' or ';'; in a property value, '#' or ';'
//     preceded by whitespace starts a trailing comment; a section header may be
//     followed by a comment;
//   - whitespace around section names, keys and values is ignored; property
//     names are case-insensitive (stored lowercase), profile names are not;
//   - a property with an empty value followed by indented "key = value" lines
//     is a sub-section (e.g. "ecs =" / "  endpoint_url = URL"): its lines are
//     stored as "ecs.endpoint_url", never as the section's own keys;
//   - an indented line after a property with a value continues that value
//     (joined with '\n');
//   - a repeated key or section: the later one wins / the sections merge;
//   - CRLF line endings are accepted.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/env.h"
#include "common/base/filesystem.h"

namespace ecsmig {

// key (lowercase) → value.
using IniProperties = std::map<std::string, std::string>;
// section name as written between the brackets (trimmed) → its properties.
using IniSections = std::map<std::string, IniProperties>;

// Parses INI text. `source_name` (a path) only appears in error messages. On a
// line that is neither a comment, a section header, a property nor a
// continuation, throws UsageError naming the source and the line number (never
// the line itself: it may hold a secret).
IniSections ParseIni(std::string_view text, const std::string& source_name);

enum class SharedFileKind { kConfig, kCredentials };

// Profiles of one shared file, by profile name. In the config file, "[default]",
// "[profile default]" (which wins) and "[profile NAME]" are profiles; other
// sections ("[sso-session x]", "[services x]", "[NAME]" without the prefix) are
// not. In the credentials file every section "[NAME]" is a profile, except
// names with a "profile " prefix, which the SDKs reject there.
IniSections ProfilesFromIni(const IniSections& sections, SharedFileKind kind);

// Both shared files, loaded once.
class SharedConfig {
 public:
  // Paths: AWS_CONFIG_FILE, else $HOME/.aws/config; AWS_SHARED_CREDENTIALS_FILE,
  // else $HOME/.aws/credentials ("~/" at the start of a variable's value is
  // expanded with HOME). A missing file is an empty file. On an unreadable or
  // malformed file, throws Error/UsageError naming the path.
  static SharedConfig Load(Environment& env, FileSystem& fs);
  // Builds from already-parsed profiles (tests).
  SharedConfig(IniSections config_profiles, IniSections credentials_profiles,
               std::string config_path, std::string credentials_path,
               IniSections config_sections = {});

  bool HasProfile(const std::string& profile) const;
  // The profile's properties from the config file, then overridden key by key
  // by the credentials file (the credentials file wins). Empty when unknown.
  IniProperties Merged(const std::string& profile) const;
  // The profile's section of one file, or null.
  const IniProperties* ConfigProfile(const std::string& profile) const;
  const IniProperties* CredentialsProfile(const std::string& profile) const;
  // A non-profile section of the config file, "[TYPE NAME]" (e.g. type
  // "services" or "sso-session"), or null.
  const IniProperties* ConfigSection(const std::string& type, const std::string& name) const;

  const std::string& config_path() const { return config_path_; }
  const std::string& credentials_path() const { return credentials_path_; }

 private:
  IniSections config_;
  IniSections credentials_;
  IniSections config_sections_;  // every section of the config file, as written
  std::string config_path_;
  std::string credentials_path_;
};

// The path of each shared file as Load resolves it ("" when neither the
// variable nor HOME is set).
std::string SharedConfigFilePath(const Environment& env);
std::string SharedCredentialsFilePath(const Environment& env);

// The value of `key` in `properties`, or nullopt when absent or empty.
std::optional<std::string> FindProperty(const IniProperties& properties, const std::string& key);

}  // namespace ecsmig
