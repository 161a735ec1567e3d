// A TypeScript server plugin that VS Code's TypeScript service loads from this extension's
// package (contributes.typescriptServerPlugins). In the cells of .ipynb notebooks on our kernel,
// that service sees each cell on its own, knows nothing of `tf` or earlier cells, and would
// answer beside our providers with `any` and false errors; there its language service answers
// nothing. Built by scripts/build.mjs into node_modules/agnb-tsserver-plugin/.
import type * as ts from "typescript";
import { isSilenced, namesOurKernel, notebookFile, silencedNotebooks } from "./silenced-cells";

type LanguageService = ts.LanguageService;

/** What each silenced request answers: nothing, in the shape the server expects. */
const SILENT_ANSWERS: { [K in keyof LanguageService]?: () => ReturnType<NonNullable<LanguageService[K]> & ((...args: never[]) => unknown)> } = {
  getCompletionsAtPosition: () => undefined,
  getCompletionEntryDetails: () => undefined,
  getQuickInfoAtPosition: () => undefined,
  getSignatureHelpItems: () => undefined,
  getDefinitionAtPosition: () => undefined,
  getDefinitionAndBoundSpan: () => undefined,
  getTypeDefinitionAtPosition: () => undefined,
  getImplementationAtPosition: () => undefined,
  getReferencesAtPosition: () => undefined,
  findReferences: () => undefined,
  getSyntacticDiagnostics: () => [],
  getSemanticDiagnostics: () => [],
  getSuggestionDiagnostics: () => [],
  getCodeFixesAtPosition: () => [],
  provideInlayHints: () => [],
};

// The server makes one instance per project and tells each of every configuration change.
const init: ts.server.PluginModuleFactory = () => {
  let notebooks: Set<string> | undefined;
  // Until the extension names its notebooks, a notebook's file is read once to see its kernel.
  const fileNamesOurKernel = new Map<string, boolean>();
  const logged = new Set<string>();
  let logger: ts.server.Logger | undefined;

  return {
    create(info) {
      logger = info.project.projectService.logger;
      const host = info.project.projectService.host;
      const onOurKernel = (notebookPath: string) => {
        if (!fileNamesOurKernel.has(notebookPath)) fileNamesOurKernel.set(notebookPath, namesOurKernel(host.readFile(notebookFile(notebookPath))));
        return fileNamesOurKernel.get(notebookPath)!;
      };
      // A project made after the last configurePlugin gets that configuration here.
      notebooks = silencedNotebooks(info.config);
      return decorate(info.languageService, (fileName) => {
        if (!isSilenced(fileName, notebooks, onOurKernel)) return false;
        if (!logged.has(fileName)) {
          logged.add(fileName);
          logger?.info(`agnb-tsserver-plugin: ${fileName} is a cell of a notebook on the Autograd kernel; its requests answer nothing`);
        }
        return true;
      });
    },
    onConfigurationChanged(configuration) {
      notebooks = silencedNotebooks(configuration);
      logger?.info(`agnb-tsserver-plugin: notebooks on the Autograd kernel: ${JSON.stringify([...notebooks ?? []])}`);
    },
  };
};

function decorate(service: LanguageService, silenced: (fileName: string) => boolean): LanguageService {
  const decorated = Object.create(null) as Record<string, unknown>;
  for (const [name, member] of Object.entries(service)) {
    decorated[name] = typeof member === "function" ? member.bind(service) : member;
  }
  for (const [name, silentAnswer] of Object.entries(SILENT_ANSWERS)) {
    const answer = decorated[name] as ((fileName: string, ...rest: unknown[]) => unknown) | undefined;
    if (!answer) continue;
    decorated[name] = (fileName: string, ...rest: unknown[]) => silenced(fileName) ? silentAnswer() : answer(fileName, ...rest);
  }
  return decorated as unknown as LanguageService;
}

export default init;
