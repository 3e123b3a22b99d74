// detect-schema-change: decides whether a commit range changed database
// schema or migration files, and enforces the Prisma migration policy
// (CONTRACT.md, "detect-schema-change").
#pragma once

#include "common/github/cli.h"

namespace ecsmig {

// The tool's flags and behaviour, run through RunTool/RunProcess.
//
// Exit codes: 0 decided; 2 bad input (unknown preset, empty pattern, malformed
// event payload, a --base/--head that does not resolve, not a repository);
// 3 the base is missing and --on-missing-base fail; 4 policy violation unless
// --allow-migration-edits.
//
// When the base commit is missing (shallow clone, force push) and
// --on-missing-base changed, nothing can be diffed: `changed` and
// `schema_changed` are reported true (the safe answer for a gate that decides
// whether to migrate), the file lists are empty and `base` is the missing sha.
//
// `files` holds paths byte for byte; JSON cannot carry bytes that are not
// UTF-8, so in `files_json` such bytes become U+FFFD.
ToolSpec DetectSchemaChangeSpec();

}  // namespace ecsmig
