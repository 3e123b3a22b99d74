// Configure-time check (CMakeLists.txt, ECSMIG_STATIC_DETECT): does libgit2
// link from its static archives here, with the same --wrap options and
// GSSAPI stand-ins as detect-schema-change? If not, the tool links the shared
// libgit2 instead.
#include <git2.h>

extern "C" int __wrap_git_mbedtls_stream_global_init(void) { return 0; }
extern "C" int __wrap_git_transport_ssh_global_init(void) { return 0; }

int main() {
  git_libgit2_init();
  git_repository* repo = nullptr;
  if (git_repository_open_ext(&repo, ".", 0, nullptr) == 0) git_repository_free(repo);
  git_libgit2_shutdown();
  return 0;
}
