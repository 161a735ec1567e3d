/**
 * `agnb run`: finds the notebooks named, runs each in a fresh kernel, prints their text output
 * and, with --inplace or --out, saves them. Every destination is decided (and checked) before
 * anything runs, so no notebook is written over another or over an original by --out.
 */
import { realpathSync, readdirSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { escapeControl } from "./notebook-checks";
import { NotebookFormatError, readNotebookFile, writeNotebookFile } from "./notebook-file";
import { outputText, runNotebook, type RunFailure } from "./run-notebook";
import { remoteKernels } from "./remote/run-on-server";

export const RUN_USAGE = `  agnb run <notebooks or folders...> [--inplace | --out DIR] [--timeout SECONDS] [--quiet]
      Runs each notebook top to bottom in a fresh kernel and prints each cell's text output.
      --inplace      write the outputs into the notebook files
      --out DIR      write copies with outputs into DIR (the originals are left alone); a
                     folder's notebooks keep their sub-folders under DIR. Refused when two
                     notebooks would land on the same file or a copy on an original.
      --timeout S    give up on a cell after S seconds (default: no limit)
      --quiet        print only the summary and errors
      --server URL   run the cells on a Jupyter server's (or JupyterHub user server's)
                     agnb-typescript kernel; outputs are written here as usual
      --token T      the server's token (default: $AGNB_SERVER_TOKEN, or ?token= in URL)
      Without --inplace or --out nothing is written. After an error or a timeout the run
      stops; what is written holds the new outputs of the cells that ran (the failing one
      with its error) and, for the cells after it, the outputs they had before. Exits with 1
      on an error or a timeout, naming the notebook, the cell and the line.
`;

/** Wrong arguments (exit code 2). */
export class UsageError extends Error {}

interface Planned { file: string; shown: string; destination: string | null }

export async function runCommand(args: string[], kernelScript: () => string): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { inplace: { type: "boolean" }, out: { type: "string" }, timeout: { type: "string" }, quiet: { type: "boolean" }, server: { type: "string" }, token: { type: "string" } },
  });
  if (positionals.length === 0) throw new UsageError("run: name at least one notebook or folder");
  if (values.inplace && values.out) throw new UsageError("run: --inplace and --out exclude each other");
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new UsageError(`run: --timeout must be a positive number of seconds, not "${escapeControl(values.timeout!)}"`);
  const found = positionals.flatMap((path) => findNotebooks(path));
  if (found.length === 0) throw new UsageError(`run: no .agnb notebooks in ${escapeControl(positionals.join(", "))}`);
  const plan = planDestinations(found, values.inplace ? "inplace" : values.out ?? null);
  if (values.token !== undefined && values.server === undefined) throw new UsageError("run: --token needs --server");
  const kernel = values.server === undefined ? undefined : await remoteKernels(values.server, values.token);

  const failures: string[] = [];
  const print = (text: string) => { if (!values.quiet) process.stdout.write(text); };
  for (const { file, shown, destination } of plan) {
    let notebook;
    try {
      notebook = await readNotebookFile(file);
    } catch (error) {
      if (!(error instanceof NotebookFormatError)) throw error;
      failures.push(error.message);
      process.stdout.write(`${shown}: not run\n`);
      continue;
    }
    print(`━━ ${shown}\n`);
    const updated = new Map<string, string>();
    const result = await runNotebook(notebook, {
      kernelScript: kernelScript(),
      folder: dirname(file),
      timeoutSeconds,
      kernel,
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
    let written = "";
    if (destination) {
      try {
        await mkdir(dirname(destination), { recursive: true });
        await writeNotebookFile(destination, result.notebook);
        written = `, written to ${escapeControl(relative(process.cwd(), destination) || destination)}`;
      } catch (error) {
        failures.push(`${shown}: cannot write ${escapeControl(destination)}: ${escapeControl((error as Error).message)}`);
      }
    }
    process.stdout.write(`${shown}: ${result.failure ? "FAILED" : "ok"} in ${result.seconds.toFixed(2)} s${written}\n`);
  }
  for (const failure of failures) process.stderr.write(`agnb: ${failure}\n`);
  return failures.length ? 1 : 0;
}

/** `file` and where it goes under --out: its path below the folder named, or its own name. */
interface Found { file: string; below: string }

function findNotebooks(path: string): Found[] {
  const absolute = resolve(path);
  const shown = escapeControl(path);
  let info;
  try {
    info = statSync(absolute);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`run: ${shown} does not exist`);
    throw new NotebookFormatError(path, code === "ELOOP" ? "is a loop of symbolic links" : `cannot be read: ${(error as Error).message}`);
  }
  if (info.isFile()) return [{ file: absolute, below: basename(absolute) }];
  if (!info.isDirectory()) throw new NotebookFormatError(path, "is neither a notebook file nor a folder");
  const found: Found[] = [];
  walk(absolute, absolute, new Set(), found);
  return found;
}

/** Follows symbolic links to folders, but never into a folder already walked (a loop). */
function walk(folder: string, root: string, seen: Set<string>, found: Found[]): void {
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    return;
  }
  if (seen.has(real)) return;
  seen.add(real);
  let names: string[];
  try {
    names = readdirSync(folder).sort();
  } catch (error) {
    throw new NotebookFormatError(folder, `cannot be listed: ${(error as Error).message}`);
  }
  for (const name of names) {
    if (name.startsWith(".") || name === "node_modules") continue;
    const child = join(folder, name);
    let isFolder = false;
    try {
      isFolder = statSync(child).isDirectory();
    } catch {
      // A broken or looping link: named below if it looks like a notebook, else ignored.
    }
    if (isFolder) walk(child, root, seen, found);
    else if (name.endsWith(".agnb")) found.push({ file: child, below: relative(root, child) });
  }
}

function planDestinations(found: Found[], mode: "inplace" | string | null): Planned[] {
  const outFolder = mode && mode !== "inplace" ? resolve(mode) : null;
  const inputs = new Map(found.map(({ file }) => [canonical(file), file]));
  const taken = new Map<string, string>();
  return found.map(({ file, below }) => {
    const shown = escapeControl(relative(process.cwd(), file) || file);
    if (mode === "inplace") return { file, shown, destination: file };
    if (!outFolder) return { file, shown, destination: null };
    const destination = join(outFolder, below);
    const original = inputs.get(canonical(destination));
    if (original) {
      throw new UsageError(`run: --out ${escapeControl(mode!)} would write over the notebook ${escapeControl(relative(process.cwd(), original) || original)}; use --inplace to update notebooks in place, or another folder`);
    }
    const earlier = taken.get(destination);
    if (earlier) throw new UsageError(`run: ${escapeControl(earlier)} and ${shown} would both be written to ${escapeControl(relative(process.cwd(), destination))}; name their folders instead, or run them separately`);
    taken.set(destination, shown);
    return { file, shown, destination };
  });
}

/** A path with its folder's links resolved, so two spellings of one file compare equal. */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return resolve(path);
    }
  }
}

function describeFailure(file: string, failure: RunFailure): string {
  const cell = `cell ${failure.cellIndex + 1}${failure.executionCount ? ` (In[${failure.executionCount}])` : ""}`;
  const location = failure.location && failure.location.cell === failure.executionCount ? `, line ${failure.location.line}, column ${failure.location.column}` : "";
  const where = failure.location && failure.location.cell !== failure.executionCount
    ? ` (raised at In[${failure.location.cell}], line ${failure.location.line}, column ${failure.location.column})` : "";
  return `${file}: ${cell}${location}: ${escapeControl(failure.message.replace(/\s*\n\s*/g, " "))}${where}`;
}
