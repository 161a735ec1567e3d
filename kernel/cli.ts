/**
 * The `agnb` command line (dist/cli.cjs):
 *   agnb run <notebooks or folders...> [--inplace | --out DIR] [--timeout SECONDS] [--quiet]
 *   agnb convert <file> --to ipynb|agnb [--output PATH] [--force]
 *   agnb kernel install | uninstall | --connection-file FILE   (kernel-command.ts)
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { version } from "../package.json";
import { KERNEL_USAGE, kernelCommand } from "./kernel-command";
import { defaultMetadata, readNotebookFile, writeFileAtomically, writeNotebookFile, NotebookFormatError } from "./notebook-file";
import { notebookToHtml } from "./html-export";
import { outputText, runNotebook, type RunFailure } from "./run-notebook";

const USAGE = `agnb ${version}: run and convert Autograd Notebook (.agnb) files

Usage:
  agnb run <notebooks or folders...> [--inplace | --out DIR] [--timeout SECONDS] [--quiet]
      Runs each notebook top to bottom in a fresh kernel and prints each cell's text output.
      --inplace      write the outputs into the notebook files
      --out DIR      write copies with outputs into DIR (the originals are left alone)
      --timeout S    give up on a cell after S seconds (default: no limit)
      --quiet        print only the summary and errors
      Without --inplace or --out nothing is written. Exits with 1 on an error or a timeout,
      naming the notebook, the cell and the line.
  agnb convert <file> --to ipynb|agnb|html [--output PATH] [--force]
      Writes the notebook in the other format beside the input (or to PATH); an existing file
      is only replaced with --force. html: one standalone page with the outputs' pictures.
${KERNEL_USAGE}`;

class UsageError extends Error {}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "run") return await runCommand(rest);
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
    throw new UsageError(`unknown command "${command}"`);
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

async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { inplace: { type: "boolean" }, out: { type: "string" }, timeout: { type: "string" }, quiet: { type: "boolean" } },
  });
  if (positionals.length === 0) throw new UsageError("run: name at least one notebook or folder");
  if (values.inplace && values.out) throw new UsageError("run: --inplace and --out exclude each other");
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new UsageError(`run: --timeout must be a positive number of seconds, not "${values.timeout}"`);
  const files = positionals.flatMap(expandNotebooks);
  if (files.length === 0) throw new UsageError(`run: no .agnb notebooks in ${positionals.join(", ")}`);

  const failures: string[] = [];
  const print = (text: string) => { if (!values.quiet) process.stdout.write(text); };
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    const notebook = await readNotebookFile(file);
    print(`━━ ${shown}\n`);
    const updated = new Map<string, string>();
    const result = await runNotebook(notebook, {
      kernelScript: kernelScript(),
      folder: dirname(file),
      timeoutSeconds,
      onCellStart: (index) => { updated.clear(); print(`── cell ${index + 1}\n`); },
      onOutput: (_index, message) => {
        // Live displays update many times; their final text is printed when the cell ends.
        if (message.header.msg_type === "update_display_data") {
          updated.set(message.content.transient?.display_id ?? "", outputText(message) ?? "");
          return;
        }
        const text = outputText(message);
        if (text) print(text);
      },
      onCellEnd: () => { for (const text of updated.values()) print(text); },
    });
    if (result.failure) failures.push(describeFailure(shown, result.failure));
    const destination = values.inplace ? file : values.out ? join(resolve(values.out), basename(file)) : null;
    if (destination) {
      await mkdir(dirname(destination), { recursive: true });
      await writeNotebookFile(destination, result.notebook);
    }
    const status = result.failure ? "FAILED" : "ok";
    process.stdout.write(`${shown}: ${status} in ${result.seconds.toFixed(2)} s${destination ? `, written to ${relative(process.cwd(), destination) || destination}` : ""}\n`);
  }
  for (const failure of failures) process.stderr.write(`agnb: ${failure}\n`);
  return failures.length ? 1 : 0;
}

function describeFailure(file: string, failure: RunFailure): string {
  const cell = `cell ${failure.cellIndex + 1}${failure.executionCount ? ` (In[${failure.executionCount}])` : ""}`;
  const location = failure.location && failure.location.cell === failure.executionCount ? `, line ${failure.location.line}, column ${failure.location.column}` : "";
  const where = failure.location && failure.location.cell !== failure.executionCount
    ? ` (raised at In[${failure.location.cell}], line ${failure.location.line}, column ${failure.location.column})` : "";
  return `${file}: ${cell}${location}: ${failure.message}${where}`;
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

function expandNotebooks(path: string): string[] {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new UsageError(`run: ${path} does not exist`);
  if (statSync(absolute).isFile()) return [absolute];
  const found: string[] = [];
  for (const name of readdirSync(absolute).sort()) {
    if (name.startsWith(".") || name === "node_modules") continue;
    const child = join(absolute, name);
    if (statSync(child).isDirectory()) found.push(...expandNotebooks(child));
    else if (name.endsWith(".agnb")) found.push(child);
  }
  return found;
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
    process.stderr.write(`agnb: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  });
}
