// Fuzzes the code that reads ECS answers (DescribeServices, DescribeTasks,
// DescribeTaskDefinition, RunTask) and user JSON (--network-configuration,
// --capacity-provider-strategy, --command): any JSON, however shaped, must
// give an answer or a clean Error, never a crash or an uncaught json exception.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/base/error.h"
#include "common/ecs/ecs_task.h"
#include "common/ecs/run_migration_task.h"
#include "common/testing/fake_aws.h"

using nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    ecsmig::ParseCommand(text);
  } catch (const ecsmig::Error&) {
  }
  try {
    ecsmig::ParseCapacityProviderStrategy(text);
  } catch (const ecsmig::Error&) {
  }
  json value = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return 0;
  try {
    ecsmig::ParseNetworkConfiguration(value);
  } catch (const ecsmig::Error&) {
  }

  ecsmig::FakeAws aws;
  aws.Always("DescribeServices", [&](const json&) { return value; });
  aws.Always("DescribeTasks", [&](const json&) { return value; });
  aws.Always("DescribeTaskDefinition", [&](const json&) { return value; });
  aws.Always("ListTasks", [&](const json&) { return value.is_object() ? json::object() : value; });
  try {
    ecsmig::DescribeService(aws, "c", "s");
  } catch (const ecsmig::Error&) {
  }
  try {
    std::string reason;
    auto task = ecsmig::DescribeOneTask(aws, "c", "t", &reason);
    if (task) {
      ecsmig::ClassifyStoppedTask(*task, {"app"}, "");
      ecsmig::ClassifyStoppedTask(*task, {}, "app");
      ecsmig::CreatedBefore(*task, *task);
    }
  } catch (const ecsmig::Error&) {
  }
  // The value as a task definition and as a task, directly.
  try {
    ecsmig::SelectContainer(value, "");
  } catch (const ecsmig::Error&) {
  }
  ecsmig::ContainerNames(value, true);
  if (value.is_object()) {
    ecsmig::NetworkMode(value);
    ecsmig::ClassifyStoppedTask(value, ecsmig::ContainerNames(value, true), "");
    // wait-task skips the task definition when every container exited 0: the
    // classification without it must then be success or an infrastructure failure.
    if (ecsmig::EveryContainerExitedZero(value) &&
        ecsmig::ClassifyStoppedTask(value, {}, "").result == ecsmig::TaskResult::kFailed)
      __builtin_trap();
    ecsmig::TaskTag(value, "k");
  }
  return 0;
}
