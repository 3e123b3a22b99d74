#include "common/aws/profile_settings.h"

#include "common/aws/shared_config.h"

namespace ecsmig {

ProfileSettings LoadProfileSettings(Environment& env, FileSystem& fs, const std::string& profile) {
  ProfileSettings settings;
  settings.name = !profile.empty() ? profile : env.GetOr("AWS_PROFILE", "default");
  SharedConfig config = SharedConfig::Load(env, fs);
  settings.label = "profile '" + settings.name + "' in " + config.config_path();
  const IniProperties* section = config.ConfigProfile(settings.name);
  if (section == nullptr) return settings;
  auto get = [&](const char* key) { return FindProperty(*section, key).value_or(""); };
  settings.region = get("region");
  settings.endpoint_url = get("endpoint_url");
  settings.ignore_configured_endpoint_urls = get("ignore_configured_endpoint_urls");
  settings.retry_mode = get("retry_mode");
  settings.max_attempts = get("max_attempts");
  std::string services = get("services");
  if (services.empty()) return settings;
  settings.services_label = "services section '" + services + "' in " + config.config_path();
  if (const IniProperties* service_section = config.ConfigSection("services", services)) {
    const std::string suffix = ".endpoint_url";
    for (const auto& [key, value] : *service_section) {
      if (key.size() > suffix.size() && key.ends_with(suffix) && !value.empty()) {
        settings.service_endpoint_urls[key.substr(0, key.size() - suffix.size())] = value;
      }
    }
  }
  return settings;
}

}  // namespace ecsmig
