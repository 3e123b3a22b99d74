// Signatures per second with common/aws/sigv4.h: what every AWS call of every tool
// pays before the request leaves the process.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "common/aws/credentials.h"
#include "common/aws/sigv4.h"
#include "common/net/http.h"

namespace ecsmig {
namespace {

HttpRequest DescribeServicesRequest() {
  HttpRequest request;
  request.url = "https://ecs.us-east-1.amazonaws.com/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices"}};
  request.body = R"({"cluster":"prod","services":["api"]})";
  return request;
}

Credentials BenchCredentials() {
  Credentials credentials;
  credentials.access_key_id = "AKIDEXAMPLE";
  credentials.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  credentials.session_token = "session-token-of-a-github-oidc-role";
  return credentials;
}

// Steady state: the signing key is cached (same secret, same day), as for every
// call after a tool's first.
void BM_SignCachedKey(benchmark::State& state) {
  SigV4Signer signer("us-east-1", "ecs");
  const Credentials credentials = BenchCredentials();
  const HttpRequest prototype = DescribeServicesRequest();
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    HttpRequest request = prototype;
    benchmark::DoNotOptimize(signer.Sign(request, credentials, now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignCachedKey);

// First call of a process: a fresh signer derives the key (4 extra HMACs).
void BM_SignColdKey(benchmark::State& state) {
  const Credentials credentials = BenchCredentials();
  const HttpRequest prototype = DescribeServicesRequest();
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    SigV4Signer signer("us-east-1", "ecs");
    HttpRequest request = prototype;
    benchmark::DoNotOptimize(signer.Sign(request, credentials, now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignColdKey);

// A large body (a 1 MiB PutLogEvents-sized payload): the SHA-256 dominates.
void BM_SignLargeBody(benchmark::State& state) {
  SigV4Signer signer("us-east-1", "logs");
  const Credentials credentials = BenchCredentials();
  HttpRequest prototype = DescribeServicesRequest();
  prototype.body.assign(static_cast<size_t>(state.range(0)), 'x');
  const auto now = std::chrono::system_clock::now();
  for (auto _ : state) {
    HttpRequest request = prototype;
    benchmark::DoNotOptimize(signer.Sign(request, credentials, now));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SignLargeBody)->Arg(1 << 20);

}  // namespace
}  // namespace ecsmig
