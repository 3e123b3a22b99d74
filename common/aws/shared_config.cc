#include "common/aws/shared_config.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/base/error.h"

namespace ecsmig {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  size_t begin = 0;
  while (begin < s.size() && std::isspace(static_cast<unsigned char>(s[begin]))) ++begin;
  size_t end = s.size();
  while (end > begin && std::isspace(static_cast<unsigned char>(s[end - 1]))) --end;
  return s.substr(begin, end - begin);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A value's trailing comment starts at '#' or ';' preceded by whitespace.
std::string_view StripTrailingComment(std::string_view value) {
  for (size_t i = 1; i < value.size(); ++i) {
    if ((value[i] == '#' || value[i] == ';') && IsBlank(value[i - 1])) {
      return Trim(value.substr(0, i));
    }
  }
  return value;
}

[[noreturn]] void Malformed(const std::string& source_name, size_t line_number,
                            const std::string& what) {
  throw UsageError("malformed AWS shared config " + source_name + " line " +
                   std::to_string(line_number) + ": " + what);
}

// "~/x" → "$HOME/x"; other paths unchanged.
std::string ExpandHome(const std::string& path, const Environment& env) {
  if (path == "~" || path.rfind("~/", 0) == 0) {
    std::string home = env.GetOr("HOME");
    if (!home.empty()) return home + path.substr(1);
  }
  return path;
}

std::string FilePath(const Environment& env, const std::string& variable,
                     const std::string& default_name) {
  std::string path = env.GetOr(variable);
  if (!path.empty()) return ExpandHome(path, env);
  std::string home = env.GetOr("HOME");
  if (home.empty()) return "";
  if (home.back() == '/') home.pop_back();
  return home + "/.aws/" + default_name;
}

IniSections LoadProfiles(FileSystem& fs, const std::string& path, SharedFileKind kind) {
  if (path.empty() || !fs.Exists(path)) return {};
  return ProfilesFromIni(ParseIni(fs.ReadFile(path), path), kind);
}

}  // namespace

IniSections ParseIni(std::string_view text, const std::string& source_name) {
  IniSections sections;
  IniProperties* section = nullptr;  // null before the first header
  std::string current_key;           // the last property of the section, "" when none
  bool in_subsection = false;        // the last property had an empty value

  size_t line_number = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t newline = text.find('\n', pos);
    std::string_view line = text.substr(
        pos, newline == std::string_view::npos ? std::string_view::npos : newline - pos);
    pos = newline == std::string_view::npos ? text.size() + 1 : newline + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);

    std::string_view trimmed = Trim(line);
    if (trimmed.empty() || trimmed.front() == '#' || trimmed.front() == ';') continue;

    // An indented line belongs to the property above it.
    if (IsBlank(line.front()) && section != nullptr && !current_key.empty()) {
      if (in_subsection) {
        // "ecs =" / "  endpoint_url = URL": kept as "ecs.endpoint_url", a key
        // no profile lookup asks for, so it never stands in for the profile's own.
        size_t equals = trimmed.find('=');
        if (equals == std::string_view::npos) {
          Malformed(source_name, line_number, "expected 'key = value' in a sub-section");
        }
        std::string key = Lower(Trim(trimmed.substr(0, equals)));
        if (key.empty()) Malformed(source_name, line_number, "property with an empty name");
        (*section)[current_key + "." + key] =
            std::string(StripTrailingComment(Trim(trimmed.substr(equals + 1))));
        continue;
      }
      std::string& value = (*section)[current_key];
      value += '\n';
      value += trimmed;
      continue;
    }

    if (trimmed.front() == '[') {
      size_t close = trimmed.find(']');
      if (close == std::string_view::npos) Malformed(source_name, line_number, "missing ']'");
      std::string_view rest = Trim(trimmed.substr(close + 1));
      if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
        Malformed(source_name, line_number, "unexpected text after section header");
      }
      std::string_view name = Trim(trimmed.substr(1, close - 1));
      if (name.empty()) Malformed(source_name, line_number, "empty section name");
      section = &sections[std::string(name)];
      current_key.clear();
      in_subsection = false;
      continue;
    }

    size_t equals = trimmed.find('=');
    if (equals == std::string_view::npos) {
      Malformed(source_name, line_number, "expected '[section]' or 'key = value'");
    }
    std::string key = Lower(Trim(trimmed.substr(0, equals)));
    if (key.empty()) Malformed(source_name, line_number, "property with an empty name");
    std::string_view value = StripTrailingComment(Trim(trimmed.substr(equals + 1)));
    if (section == nullptr) continue;  // a property outside any section belongs to nothing
    (*section)[key] = std::string(value);
    current_key = key;
    in_subsection = value.empty();
  }
  return sections;
}

IniSections ProfilesFromIni(const IniSections& sections, SharedFileKind kind) {
  IniSections profiles;
  const IniProperties* profile_default = nullptr;
  for (const auto& [name, properties] : sections) {
    bool has_prefix = name.size() > 7 && name.compare(0, 7, "profile") == 0 && IsBlank(name[7]);
    if (kind == SharedFileKind::kCredentials) {
      if (!has_prefix) profiles[name] = properties;
      continue;
    }
    if (name == "default") {
      profiles.emplace("default", properties);
    } else if (has_prefix) {
      std::string profile(Trim(std::string_view(name).substr(8)));
      if (profile.empty()) continue;
      if (profile == "default") {
        profile_default = &properties;
      } else {
        profiles[profile] = properties;
      }
    }
  }
  // "[profile default]" is the explicit form and wins over "[default]".
  if (profile_default != nullptr) profiles["default"] = *profile_default;
  return profiles;
}

SharedConfig::SharedConfig(IniSections config_profiles, IniSections credentials_profiles,
                           std::string config_path, std::string credentials_path,
                           IniSections config_sections)
    : config_(std::move(config_profiles)),
      credentials_(std::move(credentials_profiles)),
      config_sections_(std::move(config_sections)),
      config_path_(std::move(config_path)),
      credentials_path_(std::move(credentials_path)) {}

SharedConfig SharedConfig::Load(Environment& env, FileSystem& fs) {
  std::string config_path = SharedConfigFilePath(env);
  std::string credentials_path = SharedCredentialsFilePath(env);
  IniSections config_sections;
  if (!config_path.empty() && fs.Exists(config_path)) {
    config_sections = ParseIni(fs.ReadFile(config_path), config_path);
  }
  IniSections config = ProfilesFromIni(config_sections, SharedFileKind::kConfig);
  IniSections credentials = LoadProfiles(fs, credentials_path, SharedFileKind::kCredentials);
  return SharedConfig(std::move(config), std::move(credentials), std::move(config_path),
                      std::move(credentials_path), std::move(config_sections));
}

bool SharedConfig::HasProfile(const std::string& profile) const {
  return config_.count(profile) > 0 || credentials_.count(profile) > 0;
}

IniProperties SharedConfig::Merged(const std::string& profile) const {
  IniProperties merged;
  if (const IniProperties* config = ConfigProfile(profile)) merged = *config;
  if (const IniProperties* credentials = CredentialsProfile(profile)) {
    for (const auto& [key, value] : *credentials) merged[key] = value;
  }
  return merged;
}

const IniProperties* SharedConfig::ConfigProfile(const std::string& profile) const {
  auto it = config_.find(profile);
  return it == config_.end() ? nullptr : &it->second;
}

const IniProperties* SharedConfig::ConfigSection(const std::string& type,
                                                 const std::string& name) const {
  // "[services x]", "[sso-session x]": the type, whitespace, the name.
  for (const auto& [section, properties] : config_sections_) {
    if (section.size() > type.size() && section.compare(0, type.size(), type) == 0 &&
        IsBlank(section[type.size()]) &&
        Trim(std::string_view(section).substr(type.size())) == name) {
      return &properties;
    }
  }
  return nullptr;
}

const IniProperties* SharedConfig::CredentialsProfile(const std::string& profile) const {
  auto it = credentials_.find(profile);
  return it == credentials_.end() ? nullptr : &it->second;
}

std::string SharedConfigFilePath(const Environment& env) {
  return FilePath(env, "AWS_CONFIG_FILE", "config");
}

std::string SharedCredentialsFilePath(const Environment& env) {
  return FilePath(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

std::optional<std::string> FindProperty(const IniProperties& properties, const std::string& key) {
  auto it = properties.find(key);
  if (it == properties.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace ecsmig
