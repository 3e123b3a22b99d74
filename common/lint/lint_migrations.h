// lint-migrations: reviews the SQL of the migrations a range adds (or every
// migration under --dir), before they reach a database (CONTRACT.md,
// "lint-migrations").
#pragma once

#include "common/github/cli.h"

namespace ecsmig {

// The tool's flags and behaviour, run through RunTool/RunProcess.
//
// Exit codes: 0 reviewed; 1 a migration does not parse (a `syntax-error`
// finding; outputs are still written); 2 bad input (unknown rule or class,
// --dir that is not a directory, the range flags' own checks); 5 a finding of
// a class named by --fail-on.
ToolSpec LintMigrationsSpec();

}  // namespace ecsmig
