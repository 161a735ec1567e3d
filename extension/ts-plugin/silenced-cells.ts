// Which files VS Code's TypeScript server leaves unanswered: the cells of notebooks that our
// kernel answers for. The extension names those notebooks by their URI path; the server names a
// cell's document `^/vscode-notebook-cell/<authority>/<notebook path>#<cell fragment>` (the
// leading `^` is left out where VS Code runs in a browser with project-wide IntelliSense).
// VS Code sends that configuration to its semantic server only: a server that has none (the
// syntax server, which answers while a project loads) goes by what the notebook's file says.

/** The plugin's name: its folder in the package's node_modules and in contributes.typescriptServerPlugins. */
export const TSSERVER_PLUGIN_NAME = "agnb-tsserver-plugin";

/** What the extension sends with `configurePlugin`. */
export interface SilencedCellsConfiguration {
  /** URI paths (`vscode.Uri.path`) of the notebooks whose cells our kernel answers. */
  notebooks: string[];
}

const CELL_FILE = /^\^?\/vscode-notebook-cell\/[^/]*(\/.*)#[^#]*$/;

/** The notebook path of a cell's server file name, or undefined for any other file. */
export function notebookPathOfCell(fileName: string): string | undefined {
  return CELL_FILE.exec(fileName)?.[1];
}

/**
 * The notebooks named by a configuration, undefined when it names none (the server's own
 * `{ name }` before any configurePlugin); anything malformed names none rather than failing the server.
 */
export function silencedNotebooks(configuration: unknown): Set<string> | undefined {
  const notebooks = (configuration as Partial<SilencedCellsConfiguration> | null)?.notebooks;
  if (!Array.isArray(notebooks)) return undefined;
  return new Set(notebooks.filter((path): path is string => typeof path === "string"));
}

const KERNEL_NAME = "agnb-typescript";

/** Whether a notebook file's text names our kernelspec. */
export function namesOurKernel(notebookText: string | undefined): boolean {
  try {
    return notebookText !== undefined && JSON.parse(notebookText)?.metadata?.kernelspec?.name === KERNEL_NAME;
  } catch {
    return false;
  }
}

/** The file a notebook's URI path names on this machine (`/c:/x.ipynb` is `c:/x.ipynb`). */
export function notebookFile(notebookPath: string): string {
  return notebookPath.replace(/^\/([a-zA-Z]:)/, "$1");
}

/**
 * `notebooks`: those the extension named, or undefined when it has named none to this server;
 * `onOurKernel` then says whether a notebook's file names our kernel.
 */
export function isSilenced(fileName: string, notebooks: ReadonlySet<string> | undefined, onOurKernel: (notebookPath: string) => boolean = () => false): boolean {
  const notebook = notebookPathOfCell(fileName);
  if (notebook === undefined) return false;
  return notebooks ? notebooks.has(notebook) : onOurKernel(notebook);
}
