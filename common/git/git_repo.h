// Thin RAII layer over libgit2 for what detect-schema-change needs: resolving
// revisions, walking first parents and merge bases, reading blobs, and a
// tree-to-tree diff that costs what changed, not what exists.
#pragma once

#include <git2.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ecsmig {

class PathFilter;

// Keeps libgit2 initialised for its lifetime (init/shutdown are refcounted).
// Initialisation skips loading the system CA bundle (see git_repo.cc): these
// tools only read local objects and never speak TLS through libgit2.
class GitLibrary {
 public:
  GitLibrary();
  ~GitLibrary() { git_libgit2_shutdown(); }
  GitLibrary(const GitLibrary&) = delete;
  GitLibrary& operator=(const GitLibrary&) = delete;
};

template <typename T, void (*Free)(T*)>
struct GitDeleter {
  void operator()(T* p) const { Free(p); }
};
using GitRepositoryPtr =
    std::unique_ptr<git_repository, GitDeleter<git_repository, git_repository_free>>;
using GitObjectPtr = std::unique_ptr<git_object, GitDeleter<git_object, git_object_free>>;
using GitCommitPtr = std::unique_ptr<git_commit, GitDeleter<git_commit, git_commit_free>>;
using GitTreePtr = std::unique_ptr<git_tree, GitDeleter<git_tree, git_tree_free>>;
using GitBlobPtr = std::unique_ptr<git_blob, GitDeleter<git_blob, git_blob_free>>;
using GitOdbPtr = std::unique_ptr<git_odb, GitDeleter<git_odb, git_odb_free>>;
using GitReferencePtr =
    std::unique_ptr<git_reference, GitDeleter<git_reference, git_reference_free>>;

// libgit2's last error message, for error lines.
std::string LastGitError();

std::string OidHex(const git_oid& oid);
// Parses a full hex object id. Returns nullopt unless `hex` is 40 hex digits.
std::optional<git_oid> ParseOid(std::string_view hex);

// One path that differs between two trees, as `git diff --no-renames` sees it:
// a type change between a file and a directory is a deletion plus additions.
struct TreeChange {
  enum class Kind { kAdded, kDeleted, kModified };
  std::string path;
  Kind kind = Kind::kModified;
  git_oid old_id{};  // zero when added
  git_oid new_id{};  // zero when deleted
  uint32_t old_mode = 0;
  uint32_t new_mode = 0;
};

class GitRepo {
 public:
  // Opens a work tree or bare repository at (or above) `path`.
  // On failure, throws UsageError naming the path.
  static GitRepo Open(const std::string& path);

  // The commit `rev` names (any revision syntax libgit2 knows), or nullopt when
  // it does not resolve to a commit present in the repository. An object that
  // exists but cannot be read (corrupt, truncated) throws Error: a broken
  // repository is never mistaken for a missing commit.
  std::optional<git_oid> ResolveCommit(const std::string& rev) const;
  // Whether the commit object is in the object database (a shallow clone or a
  // force push may lack it). Throws Error when the object is there but cannot
  // be read as a commit.
  bool HasCommit(const git_oid& id) const;
  // The first parent of `commit`: nullopt for a root commit; `*missing` is set
  // when the parent is recorded but absent (a shallow clone's boundary).
  std::optional<git_oid> FirstParent(const git_oid& commit, bool* missing) const;
  // The best common ancestor, or nullopt when there is none in the history
  // the repository holds (unrelated histories, or a shallow clone that lacks
  // it). Throws Error when a commit on the way cannot be read.
  std::optional<git_oid> MergeBase(const git_oid& a, const git_oid& b) const;

  // Whether the repository is a shallow clone, from its own shallow list
  // ($GIT_DIR/shallow), whatever the libgit2 version makes of it.
  bool IsShallow() const { return !shallow_.empty(); }
  // Whether `commit` is one of the shallow list's boundary commits, whose
  // parents the clone does not have.
  bool IsShallowBoundary(const git_oid& commit) const;
  // Whether HEAD names no commit yet (a repository with no commits).
  bool HeadUnborn() const;
  // The tree of a commit. On error, throws Error.
  git_oid CommitTree(const git_oid& commit) const;
  // The blob's content. On error, throws Error.
  std::string ReadBlob(const git_oid& id) const;
  // Names of the subdirectories of `dir` in the tree `tree` that hold an entry
  // `file` (e.g. migration folders holding migration.sql). Empty when `dir`
  // does not exist.
  std::vector<std::string> SubdirsHolding(const git_oid& tree, const std::string& dir,
                                          const std::string& file) const;

  // Paths that differ between `base_tree` (nullopt: the empty tree) and
  // `head_tree` and match `filter`, in git's tree order. Equal subtrees
  // (same id) are never opened, and neither are subtrees below which the
  // filter cannot match. Gitlinks (submodules) are compared as entries, never
  // entered. On error, throws Error.
  std::vector<TreeChange> DiffTrees(const std::optional<git_oid>& base_tree,
                                    const git_oid& head_tree, const PathFilter& filter) const;

  git_repository* raw() const { return repo_.get(); }

 private:
  GitRepo(std::shared_ptr<GitLibrary> library, GitRepositoryPtr repo)
      : library_(std::move(library)), repo_(std::move(repo)) {}
  GitTreePtr LookupTree(const git_oid& id) const;
  void ReadShallowList();
  std::optional<git_oid> ShallowMergeBase(const git_oid& a, const git_oid& b) const;

  std::shared_ptr<GitLibrary> library_;  // declared first: outlives repo_
  GitRepositoryPtr repo_;
  std::vector<git_oid> shallow_;  // sorted boundary commits ($GIT_DIR/shallow)
};

}  // namespace ecsmig
