/**
 * The `agnb` command line (dist/cli.cjs):
 *   agnb run <notebooks or folders...> [--inplace | --out DIR] [--timeout SECONDS] [--quiet]   (cli-run.ts)
 *   agnb convert <file> --to ipynb|agnb|html [--output PATH] [--force]
 *   agnb kernel install | uninstall | --connection-file FILE   (kernel-command.ts)
 */
import { existsSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { version } from "../package.json";
import { KERNEL_USAGE, kernelCommand } from "./kernel-command";
import { defaultMetadata, readNotebookFile, writeFileAtomically, writeNotebookFile, NotebookFormatError } from "./notebook-file";
import { notebookToHtml } from "./html-export";
import { RUN_USAGE, UsageError, runCommand } from "./cli-run";
import { escapeControl } from "./notebook-checks";

const USAGE = `agnb ${version}: run and convert Autograd Notebook (.agnb) files

Usage:
${RUN_USAGE}  agnb convert <file> --to ipynb|agnb|html [--output PATH] [--force]
      Writes the notebook in the other format beside the input (or to PATH); an existing file
      is only replaced with --force. html: one standalone page with the outputs' pictures.
${KERNEL_USAGE}`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "run") return await runCommand(rest, kernelScript);
    if (command === "convert") return await convertCommand(rest);
    if (command === "kernel") return await kernelCommand(rest, __dirname);
    if (command === "--version" || command === "-v") {
      process.stdout.write(`${version}\n`);
      return 0;
    }
    if (!command || command === "help" || command === "--help" || command === "-h") {
      process.stdout.write(USAGE);
      return command ? 0 : 2;
    }
    throw new UsageError(`unknown command "${escapeControl(command)}"`);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`agnb: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof NotebookFormatError) {
      process.stderr.write(`agnb: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function convertCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { to: { type: "string" }, output: { type: "string", short: "o" }, force: { type: "boolean" } },
  });
  if (positionals.length !== 1) throw new UsageError("convert: name exactly one notebook");
  if (values.to !== "ipynb" && values.to !== "agnb" && values.to !== "html") throw new UsageError(`convert: --to must be "ipynb", "agnb" or "html", not ${JSON.stringify(values.to ?? "")}`);
  const input = resolve(positionals[0]);
  const output = values.output ? resolve(values.output) : join(dirname(input), `${basename(input, extname(input))}.${values.to}`);
  if (output === input) throw new UsageError(`convert: ${positionals[0]} is already a .${values.to} file`);
  if (existsSync(output) && !values.force) {
    process.stderr.write(`agnb: ${relative(process.cwd(), output)} exists; add --force to replace it\n`);
    return 1;
  }
  const notebook = await readNotebookFile(input);
  if (values.to === "html") {
    await writeFileAtomically(output, notebookToHtml(notebook, basename(input, extname(input))));
    process.stdout.write(`${relative(process.cwd(), output)}\n`);
    return 0;
  }
  if (values.to === "agnb") {
    // Cells are TypeScript from now on, whatever kernel the notebook was written for.
    notebook.metadata = { ...notebook.metadata, ...defaultMetadata() };
  }
  await writeNotebookFile(output, notebook);
  process.stdout.write(`${relative(process.cwd(), output)}\n`);
  return 0;
}


/** dist/kernel.cjs beside this bundle; AGNB_KERNEL overrides it (used when running from source). */
function kernelScript(): string {
  const candidates = [process.env.AGNB_KERNEL, join(__dirname, "kernel.cjs"), join(__dirname, "..", "dist", "kernel.cjs")];
  const found = candidates.find((candidate) => candidate && existsSync(candidate));
  if (!found) throw new Error(`the kernel bundle is missing (looked for ${candidates.filter(Boolean).join(", ")}); run \`npm run build\``);
  return found;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    // One line, as for every other failure; AGNB_DEBUG=1 shows where it came from.
    const message = process.env.AGNB_DEBUG ? (error as Error)?.stack : (error as Error)?.message;
    process.stderr.write(`agnb: ${escapeControl(String(message ?? error)).replace(/\s*\n\s*/g, process.env.AGNB_DEBUG ? "\n" : " ")}\n`);
    process.exitCode = 1;
  });
}
