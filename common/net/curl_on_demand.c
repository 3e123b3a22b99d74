/* libcurl loaded when the first HTTP client is made, not at start-up.
 *
 * detect-schema-change and lint-migrations link everything statically but
 * libc (CMakeLists.txt: start-up is most of a short run's cost) and need HTTP
 * only for --base-from deployment. Linked into those binaries only, these definitions
 * satisfy curl_http.cc's calls, so the linker drops the shared libcurl (and
 * the dozen libraries behind it); the first call dlopen()s libcurl and
 * forwards. Where libcurl cannot be loaded, curl_easy_init() returns NULL and
 * the HTTP client throws: for them a deployment that cannot
 * be learnt, which is a missing base, never a crash.
 *
 * curl_easy_setopt/getinfo are variadic: every option value is a long, a
 * pointer or a curl_off_t, one 64-bit integer-class argument on the LP64
 * targets this builds for, so it is forwarded as one. */
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

_Static_assert(sizeof(long) == sizeof(void*) && sizeof(curl_off_t) == sizeof(void*),
               "curl_on_demand.c forwards variadic option values as one pointer-sized word");

static struct {
  CURLcode (*global_init)(long);
  CURL* (*easy_init)(void);
  void (*easy_cleanup)(CURL*);
  void (*easy_reset)(CURL*);
  CURLcode (*easy_perform)(CURL*);
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...);
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...);
  const char* (*easy_strerror)(CURLcode);
  struct curl_slist* (*slist_append)(struct curl_slist*, const char*);
  void (*slist_free_all)(struct curl_slist*);
  int loaded;
} curl;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void LoadCurl(void) {
  void* lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) lib = dlopen("libcurl-gnutls.so.4", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return;
#define ECSMIG_CURL_SYMBOL(field, name) *(void**)(&curl.field) = dlsym(lib, name)
  ECSMIG_CURL_SYMBOL(global_init, "curl_global_init");
  ECSMIG_CURL_SYMBOL(easy_init, "curl_easy_init");
  ECSMIG_CURL_SYMBOL(easy_cleanup, "curl_easy_cleanup");
  ECSMIG_CURL_SYMBOL(easy_reset, "curl_easy_reset");
  ECSMIG_CURL_SYMBOL(easy_perform, "curl_easy_perform");
  ECSMIG_CURL_SYMBOL(easy_setopt, "curl_easy_setopt");
  ECSMIG_CURL_SYMBOL(easy_getinfo, "curl_easy_getinfo");
  ECSMIG_CURL_SYMBOL(easy_strerror, "curl_easy_strerror");
  ECSMIG_CURL_SYMBOL(slist_append, "curl_slist_append");
  ECSMIG_CURL_SYMBOL(slist_free_all, "curl_slist_free_all");
#undef ECSMIG_CURL_SYMBOL
  curl.loaded = curl.global_init && curl.easy_init && curl.easy_cleanup && curl.easy_reset &&
                curl.easy_perform && curl.easy_setopt && curl.easy_getinfo && curl.easy_strerror &&
                curl.slist_append && curl.slist_free_all;
}

static int Loaded(void) {
  pthread_once(&curl_once, LoadCurl);
  return curl.loaded;
}

CURLcode curl_global_init(long flags) {
  return Loaded() ? curl.global_init(flags) : CURLE_FAILED_INIT;
}
CURL* curl_easy_init(void) { return Loaded() ? curl.easy_init() : NULL; }
/* The calls below only follow a successful curl_easy_init(). */
void curl_easy_cleanup(CURL* handle) {
  if (Loaded()) curl.easy_cleanup(handle);
}
void curl_easy_reset(CURL* handle) { curl.easy_reset(handle); }
CURLcode curl_easy_perform(CURL* handle) { return curl.easy_perform(handle); }
CURLcode curl_easy_setopt(CURL* handle, CURLoption option, ...) {
  va_list args;
  va_start(args, option);
  void* value = va_arg(args, void*);
  va_end(args);
  return curl.easy_setopt(handle, option, value);
}
CURLcode curl_easy_getinfo(CURL* handle, CURLINFO info, ...) {
  va_list args;
  va_start(args, info);
  void* out = va_arg(args, void*);
  va_end(args);
  return curl.easy_getinfo(handle, info, out);
}
const char* curl_easy_strerror(CURLcode code) {
  return Loaded() ? curl.easy_strerror(code) : "libcurl could not be loaded";
}
struct curl_slist* curl_slist_append(struct curl_slist* list, const char* text) {
  return Loaded() ? curl.slist_append(list, text) : NULL;
}
void curl_slist_free_all(struct curl_slist* list) {
  if (Loaded()) curl.slist_free_all(list);
}
