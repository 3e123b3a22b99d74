// What the active profile of the shared config file says about where and how
// to call AWS (region, endpoints, retries), read once per client, with labels
// that name the file and section for messages.
#pragma once

#include <map>
#include <string>

#include "common/base/env.h"
#include "common/base/filesystem.h"

namespace ecsmig {

// A setting's value and where it came from ("--region", "AWS_REGION",
// "region of profile 'dev' in /home/me/.aws/config").
struct SourcedValue {
  std::string value;
  std::string source;
};

struct ProfileSettings {
  std::string name;   // --profile, else AWS_PROFILE, else "default"
  std::string label;  // "profile 'dev' in PATH"
  std::string region;
  std::string endpoint_url;  // the profile's global endpoint_url
  // [services NAME] the profile names with `services = NAME`: service key
  // ("ecs", "cloudwatch_logs", "sts", "sso") → its endpoint_url.
  std::map<std::string, std::string> service_endpoint_urls;
  std::string services_label;  // "services section 'NAME' in PATH"
  std::string ignore_configured_endpoint_urls;
  std::string retry_mode;
  std::string max_attempts;

  SourcedValue Setting(const std::string& key, const std::string& value) const {
    return {value, key + " of " + label};
  }
};

// The profile `profile` (empty: AWS_PROFILE, else "default") of the config
// file (AWS_CONFIG_FILE, else ~/.aws/config). A missing file or profile gives
// empty settings; a malformed file throws UsageError naming it.
ProfileSettings LoadProfileSettings(Environment& env, FileSystem& fs, const std::string& profile);

}  // namespace ecsmig
