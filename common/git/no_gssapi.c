/* GSSAPI stand-ins for the statically linked detect-schema-change (see
 * CMakeLists.txt, ECSMIG_STATIC_DETECT); not part of ecsmig_common.
 *
 * libgit2 refers to GSSAPI only for HTTP "Negotiate" authentication, which is
 * reached only when a fetch or push over HTTP is challenged. detect-schema-
 * change reads local objects and never talks to a remote, yet the static link
 * pulls libgit2's HTTP transport in, and with it libgssapi_krb5 and six more
 * shared libraries (Kerberos, keyutils, resolv): ~1.5 ms of every run, a
 * sixth of a one-commit diff. These definitions satisfy the link instead;
 * each one fails as GSSAPI does when no mechanism is available. */

typedef unsigned int OM_uint32;

/* GSS_S_FAILURE: a routine error (GSS_S_COMPLETE is 0). */
static const OM_uint32 kFailure = 13u << 16;

static OM_uint32 Fail(OM_uint32* minor_status) {
  if (minor_status) *minor_status = 0;
  return kFailure;
}

void* GSS_C_NT_HOSTBASED_SERVICE = 0;

OM_uint32 gss_indicate_mechs(OM_uint32* minor_status, void** mech_set) {
  if (mech_set) *mech_set = 0;
  return Fail(minor_status);
}

OM_uint32 gss_import_name(OM_uint32* minor_status, void* input_name_buffer, void* input_name_type,
                          void** output_name) {
  (void)input_name_buffer;
  (void)input_name_type;
  if (output_name) *output_name = 0;
  return Fail(minor_status);
}

OM_uint32 gss_init_sec_context(OM_uint32* minor_status, void* claimant_cred_handle,
                               void** context_handle, void* target_name, void* mech_type,
                               OM_uint32 req_flags, OM_uint32 time_req, void* input_chan_bindings,
                               void* input_token, void** actual_mech_type, void* output_token,
                               OM_uint32* ret_flags, OM_uint32* time_rec) {
  (void)claimant_cred_handle;
  (void)context_handle;
  (void)target_name;
  (void)mech_type;
  (void)req_flags;
  (void)time_req;
  (void)input_chan_bindings;
  (void)input_token;
  (void)output_token;
  if (actual_mech_type) *actual_mech_type = 0;
  if (ret_flags) *ret_flags = 0;
  if (time_rec) *time_rec = 0;
  return Fail(minor_status);
}

OM_uint32 gss_display_status(OM_uint32* minor_status, OM_uint32 status_value, int status_type,
                             void* mech_type, OM_uint32* message_context, void* status_string) {
  (void)status_value;
  (void)status_type;
  (void)mech_type;
  (void)status_string;
  if (message_context) *message_context = 0;
  return Fail(minor_status);
}

OM_uint32 gss_delete_sec_context(OM_uint32* minor_status, void** context_handle,
                                 void* output_token) {
  (void)output_token;
  if (context_handle) *context_handle = 0;
  if (minor_status) *minor_status = 0;
  return 0;
}

OM_uint32 gss_release_buffer(OM_uint32* minor_status, void* buffer) {
  (void)buffer;
  if (minor_status) *minor_status = 0;
  return 0;
}

OM_uint32 gss_release_name(OM_uint32* minor_status, void** name) {
  if (name) *name = 0;
  if (minor_status) *minor_status = 0;
  return 0;
}

OM_uint32 gss_release_oid_set(OM_uint32* minor_status, void** set) {
  if (set) *set = 0;
  if (minor_status) *minor_status = 0;
  return 0;
}
