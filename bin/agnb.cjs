#!/usr/bin/env node
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const cli = join(__dirname, "..", "dist", "cli.cjs");
if (!existsSync(cli)) {
  process.stderr.write(`agnb: ${cli} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
require(cli).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => {
    process.stderr.write(`agnb: ${(error && error.stack) || error}\n`);
    process.exitCode = 1;
  },
);
