#include "common/git/git_repo.h"

#include <dlfcn.h>
#include <git2/sys/odb_backend.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "common/base/error.h"
#include "common/git/glob.h"

namespace {
// True while GitLibrary initialises libgit2.
bool g_initialising_libgit2 = false;
}  // namespace

// libgit2 1.5 as Debian/Ubuntu package it is built against mbedTLS and parses
// the system's whole CA bundle inside git_libgit2_init(): 25-40 ms per
// process, many times what a one-commit diff costs (and the tool's budget is
// `git diff`'s time).
//
// Linked statically (detect-schema-change, see CMakeLists.txt), the linker
// sends libgit2's calls of its TLS and SSH set-up to the two __wrap_
// functions below, which do nothing: these tools read local objects only and
// never open a TLS or SSH stream. That also skips mbedTLS's entropy pool and
// OpenSSL's engine loading (libssh2_init), ~2.4 million instructions.
extern "C" int __wrap_git_mbedtls_stream_global_init(void) { return 0; }
extern "C" int __wrap_git_transport_ssh_global_init(void) { return 0; }

// Linked to the shared libgit2 (the unit tests; -DECSMIG_STATIC_DETECT=OFF),
// the loader resolves libgit2's call to this function to the executable's
// definition first, so during that initialisation the load is skipped (an
// empty CA chain); every other call, and every call in a libgit2 built on
// OpenSSL (which never calls this), is unaffected. Weak, so that where
// mbedTLS is linked statically its own definition wins.
extern "C" __attribute__((weak)) int mbedtls_x509_crt_parse_file(void* chain, const char* path) {
  if (g_initialising_libgit2) return 0;
  using ParseFile = int (*)(void*, const char*);
  static const auto real =
      reinterpret_cast<ParseFile>(dlsym(RTLD_NEXT, "mbedtls_x509_crt_parse_file"));
  return real ? real(chain, path) : -1;
}

namespace ecsmig {

GitLibrary::GitLibrary() {
  g_initialising_libgit2 = true;
  git_libgit2_init();
  g_initialising_libgit2 = false;
  // A diff reads each tree once: caching parsed objects only costs memory
  // and allocator time (measured: ~15% of a long-range diff).
  git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
  // libgit2 hashes every object it reads again to check its id; git does not
  // (zlib's checksum still catches a damaged pack). Measured: ~2.4 million
  // instructions, 14%, of a one-commit diff with the prisma preset.
  git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
}

namespace {

bool IsTree(uint32_t mode) { return mode == GIT_FILEMODE_TREE; }

// git's base_name_compare: a directory sorts as if its name ended in '/'.
int CompareEntries(const git_tree_entry* a, const git_tree_entry* b) {
  const char* na = git_tree_entry_name(a);
  const char* nb = git_tree_entry_name(b);
  size_t la = std::strlen(na), lb = std::strlen(nb);
  size_t len = la < lb ? la : lb;
  int cmp = std::memcmp(na, nb, len);
  if (cmp != 0) return cmp;
  unsigned char ca = len < la ? static_cast<unsigned char>(na[len])
                              : (IsTree(git_tree_entry_filemode(a)) ? '/' : '\0');
  unsigned char cb = len < lb ? static_cast<unsigned char>(nb[len])
                              : (IsTree(git_tree_entry_filemode(b)) ? '/' : '\0');
  return static_cast<int>(ca) - static_cast<int>(cb);
}

// The state of one DiffTrees call.
class TreeDiffer {
 public:
  TreeDiffer(const GitRepo& repo, const PathFilter& filter, std::vector<TreeChange>& out)
      : repo_(repo), filter_(filter), out_(out) {}

  // Compares two trees (either may be null: empty) below `path_` (which is
  // "" or ends with '/').
  void Compare(const git_tree* base, const git_tree* head) {
    size_t nb = base ? git_tree_entrycount(base) : 0;
    size_t nh = head ? git_tree_entrycount(head) : 0;
    size_t i = 0, j = 0;
    while (i < nb || j < nh) {
      const git_tree_entry* eb = i < nb ? git_tree_entry_byindex(base, i) : nullptr;
      const git_tree_entry* eh = j < nh ? git_tree_entry_byindex(head, j) : nullptr;
      int cmp = !eb ? 1 : !eh ? -1 : CompareEntries(eb, eh);
      if (cmp < 0) {
        OneSide(eb, TreeChange::Kind::kDeleted);
        ++i;
      } else if (cmp > 0) {
        OneSide(eh, TreeChange::Kind::kAdded);
        ++j;
      } else {
        Both(eb, eh);
        ++i;
        ++j;
      }
    }
  }

 private:
  // Appends the entry's name to path_; restored by the caller via resize.
  size_t Enter(const git_tree_entry* e) {
    size_t old = path_.size();
    path_ += git_tree_entry_name(e);
    return old;
  }

  void Both(const git_tree_entry* eb, const git_tree_entry* eh) {
    uint32_t mb = git_tree_entry_filemode(eb), mh = git_tree_entry_filemode(eh);
    if (mb == mh && git_oid_equal(git_tree_entry_id(eb), git_tree_entry_id(eh))) return;
    size_t old = Enter(eb);
    if (IsTree(mb)) {  // equal names and kinds: both are trees
      if (filter_.MayMatchBelow(path_)) {
        GitTreePtr tb = Lookup(*git_tree_entry_id(eb));
        GitTreePtr th = Lookup(*git_tree_entry_id(eh));
        path_ += '/';
        Compare(tb.get(), th.get());
      }
    } else if (filter_.Matches(path_)) {
      TreeChange c;
      c.path = path_;
      c.kind = TreeChange::Kind::kModified;
      c.old_id = *git_tree_entry_id(eb);
      c.new_id = *git_tree_entry_id(eh);
      c.old_mode = mb;
      c.new_mode = mh;
      out_.push_back(std::move(c));
    }
    path_.resize(old);
  }

  void OneSide(const git_tree_entry* e, TreeChange::Kind kind) {
    uint32_t mode = git_tree_entry_filemode(e);
    size_t old = Enter(e);
    if (IsTree(mode)) {
      if (filter_.MayMatchBelow(path_)) {
        GitTreePtr t = Lookup(*git_tree_entry_id(e));
        path_ += '/';
        if (kind == TreeChange::Kind::kAdded) {
          Compare(nullptr, t.get());
        } else {
          Compare(t.get(), nullptr);
        }
      }
    } else if (filter_.Matches(path_)) {
      TreeChange c;
      c.path = path_;
      c.kind = kind;
      if (kind == TreeChange::Kind::kAdded) {
        c.new_id = *git_tree_entry_id(e);
        c.new_mode = mode;
      } else {
        c.old_id = *git_tree_entry_id(e);
        c.old_mode = mode;
      }
      out_.push_back(std::move(c));
    }
    path_.resize(old);
  }

  GitTreePtr Lookup(const git_oid& id) {
    git_tree* tree = nullptr;
    if (git_tree_lookup(&tree, repo_.raw(), &id) != 0) {
      throw Error("cannot read tree " + OidHex(id) + ": " + LastGitError());
    }
    return GitTreePtr(tree);
  }

  const GitRepo& repo_;
  const PathFilter& filter_;
  std::vector<TreeChange>& out_;
  std::string path_;
};

}  // namespace

std::string LastGitError() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

std::string OidHex(const git_oid& oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, &oid);
  return buf;
}

std::optional<git_oid> ParseOid(std::string_view hex) {
  if (hex.size() != GIT_OID_HEXSZ) return std::nullopt;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return std::nullopt;
    }
  }
  git_oid oid;
  std::string text(hex);
  if (git_oid_fromstr(&oid, text.c_str()) != 0) return std::nullopt;
  return oid;
}

namespace {

// libgit2 up to 1.9 inflates a truncated loose object forever (libgit2
// issue #7342: Z_BUF_ERROR read as "try again" with no input left). An
// object database backend tried before the loose one inflates each loose
// object it is asked for once, fully, and fails the read when the stream
// is truncated or corrupt; otherwise it passes, and libgit2 reads as usual.
// Only loose objects cost a second inflate (a fresh clone's are packed).
struct LooseObjectCheck {
  git_odb_backend parent;
  std::string objects_dir;  // ends with '/'
};

// 0 when the loose object of `id` is absent or inflates to its end.
int CheckLooseObject(git_odb_backend* backend, const git_oid* id) {
  auto* self = reinterpret_cast<LooseObjectCheck*>(backend);
  std::string hex = OidHex(*id);
  std::ifstream in(self->objects_dir + hex.substr(0, 2) + "/" + hex.substr(2), std::ios::binary);
  if (!in) return 0;
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return 0;
  zs.next_in = reinterpret_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());
  unsigned char scratch[16384];
  int code = Z_OK;
  while (code == Z_OK) {
    zs.next_out = scratch;
    zs.avail_out = sizeof scratch;
    code = inflate(&zs, Z_NO_FLUSH);
  }
  inflateEnd(&zs);
  if (code == Z_STREAM_END) return 0;
  std::string message = "object " + hex + " is truncated or corrupt (loose object)";
  git_error_set_str(GIT_ERROR_ODB, message.c_str());
  return GIT_ERROR;
}

int CheckBeforeRead(void**, size_t*, git_object_t*, git_odb_backend* backend, const git_oid* id) {
  int code = CheckLooseObject(backend, id);
  return code ? code : GIT_PASSTHROUGH;
}

int CheckBeforeReadHeader(size_t*, git_object_t*, git_odb_backend* backend, const git_oid* id) {
  int code = CheckLooseObject(backend, id);
  return code ? code : GIT_PASSTHROUGH;
}

void FreeLooseObjectCheck(git_odb_backend* backend) {
  delete reinterpret_cast<LooseObjectCheck*>(backend);
}

void InstallLooseObjectCheck(git_repository* repo) {
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo) != 0) return;
  GitOdbPtr odb(raw_odb);
  auto* check = new LooseObjectCheck();
  git_odb_init_backend(&check->parent, GIT_ODB_BACKEND_VERSION);
  check->parent.read = CheckBeforeRead;
  check->parent.read_header = CheckBeforeReadHeader;
  check->parent.free = FreeLooseObjectCheck;
  check->objects_dir = std::string(git_repository_commondir(repo)) + "objects/";
  // Above the packed (2) and loose (1) backends: asked first.
  if (git_odb_add_backend(odb.get(), &check->parent, 100) != 0) delete check;
}

}  // namespace

GitRepo GitRepo::Open(const std::string& path) {
  auto library = std::make_shared<GitLibrary>();
  git_repository* repo = nullptr;
  if (git_repository_open_ext(&repo, path.c_str(), 0, nullptr) != 0) {
    throw UsageError("--repo " + path + ": not a git repository (" + LastGitError() + ")");
  }
  GitRepo opened(std::move(library), GitRepositoryPtr(repo));
  InstallLooseObjectCheck(opened.raw());
  opened.ReadShallowList();
  return opened;
}

// git's shallow list: one full hex id per line, the commits whose parents
// the clone was cut off from. libgit2 1.5 ignores it (the parents read as
// absent objects), 1.7 grafts them away (the commits read as roots): reading
// it ourselves gives one answer under both.
void GitRepo::ReadShallowList() {
  std::ifstream in(std::string(git_repository_path(repo_.get())) + "shallow");
  std::string line;
  while (std::getline(in, line)) {
    if (auto id = ParseOid(line)) shallow_.push_back(*id);
  }
  std::sort(shallow_.begin(), shallow_.end(),
            [](const git_oid& a, const git_oid& b) { return git_oid_cmp(&a, &b) < 0; });
}

bool GitRepo::IsShallowBoundary(const git_oid& commit) const {
  return std::binary_search(
      shallow_.begin(), shallow_.end(), commit,
      [](const git_oid& a, const git_oid& b) { return git_oid_cmp(&a, &b) < 0; });
}

bool GitRepo::HeadUnborn() const { return git_repository_head_unborn(repo_.get()) == 1; }

namespace {
// Errors that mean "no such commit", as opposed to "cannot read it".
bool IsNotFound(int code) {
  return code == GIT_ENOTFOUND || code == GIT_EINVALIDSPEC || code == GIT_EAMBIGUOUS ||
         code == GIT_EPEEL || code == GIT_EUNBORNBRANCH;
}
}  // namespace

std::optional<git_oid> GitRepo::ResolveCommit(const std::string& rev) const {
  git_object* obj = nullptr;
  if (int code = git_revparse_single(&obj, repo_.get(), rev.c_str()); code != 0) {
    if (IsNotFound(code)) return std::nullopt;
    throw Error("cannot read " + rev + ": " + LastGitError());
  }
  GitObjectPtr holder(obj);
  git_object* commit = nullptr;
  if (int code = git_object_peel(&commit, obj, GIT_OBJECT_COMMIT); code != 0) {
    if (IsNotFound(code) || code == GIT_EINVALID) return std::nullopt;
    throw Error("cannot read " + rev + ": " + LastGitError());
  }
  GitObjectPtr commit_holder(commit);
  return *git_object_id(commit);
}

bool GitRepo::HasCommit(const git_oid& id) const {
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo_.get()) != 0) {
    throw Error("cannot open the object database: " + LastGitError());
  }
  GitOdbPtr odb(raw_odb);
  if (!git_odb_exists(odb.get(), &id)) return false;
  git_commit* commit = nullptr;
  if (git_commit_lookup(&commit, repo_.get(), &id) != 0) {
    throw Error("cannot read commit " + OidHex(id) + ": " + LastGitError());
  }
  git_commit_free(commit);
  return true;
}

std::optional<git_oid> GitRepo::FirstParent(const git_oid& id, bool* missing) const {
  *missing = false;
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo_.get(), &id) != 0) {
    throw Error("cannot read commit " + OidHex(id) + ": " + LastGitError());
  }
  GitCommitPtr commit(raw);
  // A shallow clone's boundary commit lists a parent that is not there (and
  // that libgit2 1.7 hides): its raw header still names it.
  if (IsShallowBoundary(id)) {
    std::string_view header = git_commit_raw_header(commit.get());
    *missing = header.find("\nparent ") != std::string_view::npos;
    return std::nullopt;
  }
  if (git_commit_parentcount(commit.get()) == 0) return std::nullopt;
  git_oid parent = *git_commit_parent_id(commit.get(), 0);
  if (!HasCommit(parent)) {
    *missing = true;
    return std::nullopt;
  }
  return parent;
}

std::optional<git_oid> GitRepo::MergeBase(const git_oid& a, const git_oid& b) const {
  // libgit2 1.5 walks into a shallow clone's cut-off parents, fails, and
  // leaks on that path; 1.7 reads the boundary commits as roots and may
  // answer with a wrong base. In a shallow clone the walk is ours.
  if (IsShallow()) return ShallowMergeBase(a, b);
  git_oid out;
  int code = git_merge_base(&out, repo_.get(), &a, &b);
  if (code == 0) return out;
  if (code == GIT_ENOTFOUND) return std::nullopt;
  throw Error("cannot compute the merge base of " + OidHex(a) + " and " + OidHex(b) + ": " +
              LastGitError());
}

// git's paint_down_to_common: commits are taken newest first, each carrying
// which side reaches it; the first commit both sides reach is the merge base,
// once no commit reached by one side only is left to take. A commit whose
// parents were cut off (a shallow boundary, or a parent absent) that is not
// below a base found would have to be walked through: the base may lie beyond
// what the clone holds, so there is none to trust (nullopt, a missing base).
std::optional<git_oid> GitRepo::ShallowMergeBase(const git_oid& a, const git_oid& b) const {
  enum : unsigned { kSideA = 1, kSideB = 2, kStale = 4 };
  auto less = [](const git_oid& x, const git_oid& y) { return git_oid_cmp(&x, &y) < 0; };
  std::map<git_oid, unsigned, decltype(less)> flags(less);
  using Entry = std::pair<int64_t, git_oid>;  // commit time, id: the newest last
  auto older = [](const Entry& x, const Entry& y) {
    return x.first != y.first ? x.first < y.first : git_oid_cmp(&x.second, &y.second) < 0;
  };
  std::set<Entry, decltype(older)> queue(older);
  auto lookup = [&](const git_oid& id) {
    git_commit* raw = nullptr;
    if (git_commit_lookup(&raw, repo_.get(), &id) != 0) {
      throw Error("cannot read commit " + OidHex(id) + ": " + LastGitError());
    }
    return GitCommitPtr(raw);
  };
  auto push = [&](const git_oid& id, unsigned side) {
    flags[id] |= side;
    queue.emplace(static_cast<int64_t>(git_commit_time(lookup(id).get())), id);
  };
  // Walking on while a queued commit is reached by one side only.
  auto unsettled = [&] {
    return std::any_of(queue.begin(), queue.end(),
                       [&](const Entry& entry) { return (flags[entry.second] & kStale) == 0; });
  };
  // Commits whose parents were cut off, reached by one side only when taken:
  // harmless once a base is found above them (they turn stale), else the
  // base may lie beyond the clone.
  std::vector<git_oid> cut;
  auto cut_unsettled = [&] {
    return std::any_of(cut.begin(), cut.end(),
                       [&](const git_oid& id) { return (flags[id] & kStale) == 0; });
  };
  push(a, kSideA);
  push(b, kSideB);
  std::optional<git_oid> base;
  while (!queue.empty() && (unsettled() || cut_unsettled())) {
    git_oid id = std::prev(queue.end())->second;
    queue.erase(std::prev(queue.end()));
    unsigned side = flags[id] & (kSideA | kSideB | kStale);
    if (side == (kSideA | kSideB)) {
      if (!base) base = id;
      side |= kStale;  // everything below a base is no better a base
      flags[id] |= kStale;
    }
    GitCommitPtr commit = lookup(id);
    bool cut_off = IsShallowBoundary(id) &&
                   std::string_view(git_commit_raw_header(commit.get())).find("\nparent ") !=
                       std::string_view::npos;
    for (unsigned i = 0; i < git_commit_parentcount(commit.get()) && !cut_off; ++i) {
      if (!HasCommit(*git_commit_parent_id(commit.get(), i))) cut_off = true;
    }
    if (cut_off) {
      if ((side & kStale) == 0) cut.push_back(id);
      continue;
    }
    for (unsigned i = 0; i < git_commit_parentcount(commit.get()); ++i) {
      const git_oid& parent = *git_commit_parent_id(commit.get(), i);
      auto it = flags.find(parent);
      if (it != flags.end() && (it->second & side) == side) continue;
      push(parent, side);
    }
  }
  if (cut_unsettled()) return std::nullopt;
  return base;
}

git_oid GitRepo::CommitTree(const git_oid& id) const {
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo_.get(), &id) != 0) {
    throw Error("cannot read commit " + OidHex(id) + ": " + LastGitError());
  }
  GitCommitPtr commit(raw);
  return *git_commit_tree_id(commit.get());
}

std::string GitRepo::ReadBlob(const git_oid& id) const {
  git_blob* raw = nullptr;
  if (git_blob_lookup(&raw, repo_.get(), &id) != 0) {
    throw Error("cannot read blob " + OidHex(id) + ": " + LastGitError());
  }
  GitBlobPtr blob(raw);
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())),
                     static_cast<size_t>(git_blob_rawsize(blob.get())));
}

GitTreePtr GitRepo::LookupTree(const git_oid& id) const {
  git_tree* tree = nullptr;
  if (git_tree_lookup(&tree, repo_.get(), &id) != 0) {
    throw Error("cannot read tree " + OidHex(id) + ": " + LastGitError());
  }
  return GitTreePtr(tree);
}

std::vector<std::string> GitRepo::SubdirsHolding(const git_oid& tree_id, const std::string& dir,
                                                 const std::string& file) const {
  std::vector<std::string> names;
  GitTreePtr root = LookupTree(tree_id);
  GitTreePtr dir_tree;
  const git_tree* current = root.get();
  if (!dir.empty()) {
    git_tree_entry* entry = nullptr;
    if (git_tree_entry_bypath(&entry, root.get(), dir.c_str()) != 0) return names;
    bool is_tree = git_tree_entry_type(entry) == GIT_OBJECT_TREE;
    git_oid id = *git_tree_entry_id(entry);
    git_tree_entry_free(entry);
    if (!is_tree) return names;
    dir_tree = LookupTree(id);
    current = dir_tree.get();
  }
  for (size_t i = 0; i < git_tree_entrycount(current); ++i) {
    const git_tree_entry* e = git_tree_entry_byindex(current, i);
    if (git_tree_entry_type(e) != GIT_OBJECT_TREE) continue;
    GitTreePtr sub = LookupTree(*git_tree_entry_id(e));
    const git_tree_entry* f = git_tree_entry_byname(sub.get(), file.c_str());
    if (f && git_tree_entry_type(f) == GIT_OBJECT_BLOB) names.push_back(git_tree_entry_name(e));
  }
  return names;
}

std::vector<TreeChange> GitRepo::DiffTrees(const std::optional<git_oid>& base_tree,
                                           const git_oid& head_tree,
                                           const PathFilter& filter) const {
  std::vector<TreeChange> out;
  if (base_tree && git_oid_equal(&*base_tree, &head_tree)) return out;
  GitTreePtr base;
  if (base_tree) base = LookupTree(*base_tree);
  GitTreePtr head = LookupTree(head_tree);
  TreeDiffer differ(*this, filter, out);
  differ.Compare(base.get(), head.get());
  return out;
}

}  // namespace ecsmig
