// PLACEHOLDER until the AWS core branch lands: owned by the AWS core work.
#include "common/aws.h"
#include "common/error.h"

namespace ecsmig {

std::unique_ptr<AwsJsonService> MakeAwsJsonService(AwsService, const AwsSettings&, ToolRun&,
                                                   const std::string&) {
  throw Error("AWS client not built yet");
}

}  // namespace ecsmig
