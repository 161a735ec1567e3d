// Which files VS Code's TypeScript server leaves unanswered: the cells of notebooks that our
// kernel answers for. The extension names those notebooks by their URI path; the server names a
// cell's document `^/vscode-notebook-cell/<authority>/<notebook path>#<cell fragment>` (the
// leading `^` is left out where VS Code runs in a browser with project-wide IntelliSense).

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

/** The notebooks named by a configuration; anything malformed names none rather than failing the server. */
export function silencedNotebooks(configuration: unknown): Set<string> {
  const notebooks = (configuration as Partial<SilencedCellsConfiguration> | null)?.notebooks;
  return new Set(Array.isArray(notebooks) ? notebooks.filter((path): path is string => typeof path === "string") : []);
}

export function isSilenced(fileName: string, notebooks: ReadonlySet<string>): boolean {
  const notebook = notebookPathOfCell(fileName);
  return notebook !== undefined && notebooks.has(notebook);
}
