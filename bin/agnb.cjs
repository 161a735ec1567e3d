#!/usr/bin/env node
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const args = process.argv.slice(2);

// `agnb kernel --connection-file FILE` becomes the kernel process itself, so that Jupyter's
// SIGINT and its watching of the process reach the kernel, not a wrapper around it.
if (args[0] === "kernel" && /^--connection-file(=|$)/.test(args[1] ?? "")) {
  const connectionFile = args[1].includes("=") ? args[1].slice(args[1].indexOf("=") + 1) : args[2];
  const kernel = process.env.AGNB_KERNEL || join(__dirname, "..", "dist", "kernel.cjs");
  if (!connectionFile) {
    process.stderr.write("agnb: kernel --connection-file needs the connection file's path\n");
    process.exit(2);
  }
  if (!existsSync(kernel)) {
    process.stderr.write(`agnb: the kernel bundle ${kernel} is missing; run \`npm run build\` first\n`);
    process.exit(1);
  }
  process.argv = [process.argv[0], kernel, "--connection-file", connectionFile];
  require(kernel);
  return;
}

const cli = join(__dirname, "..", "dist", "cli.cjs");
if (!existsSync(cli)) {
  process.stderr.write(`agnb: ${cli} is missing; run \`npm run build\` first\n`);
  process.exit(1);
}
require(cli).main(args).then(
  (code) => { process.exitCode = code; },
  (error) => {
    process.stderr.write(`agnb: ${(error && error.stack) || error}\n`);
    process.exitCode = 1;
  },
);
