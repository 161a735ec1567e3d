import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import ts from "typescript";
import { existsSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import init from "./plugin";
import { TSSERVER_PLUGIN_NAME, isSilenced, namesOurKernel, notebookFile, notebookPathOfCell, silencedNotebooks } from "./silenced-cells";

const root = new URL("../..", import.meta.url).pathname;

/** How VS Code's TypeScript extension names a document for its server (typescriptServiceClient's toTsFilePath). */
function serverFileName(uri: { scheme: string; authority: string; path: string; fragment: string }, inBrowser = false): string {
  if (uri.scheme === "file") return uri.path;
  return `${inBrowser ? "" : "^"}/${uri.scheme}/${uri.authority || "ts-nul-authority"}${uri.path}${uri.fragment ? `#${uri.fragment}` : ""}`;
}

const segment = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes("/"));
const notebookPath = fc.array(segment, { minLength: 1, maxLength: 5 }).map((parts) => `/${parts.join("/")}.ipynb`);
const fragment = fc.stringMatching(/^W[0-9a-z]{1,4}s[A-Za-z0-9+/=]{2,12}$/);

test("the cells of a configured notebook are silenced, whatever its path, authority or cell", () => {
  fc.assert(fc.property(notebookPath, fc.constantFrom("", "ssh-remote+box", "wsl"), fragment, fc.boolean(), (path, authority, cell, inBrowser) => {
    const name = serverFileName({ scheme: "vscode-notebook-cell", authority, path, fragment: cell }, inBrowser);
    assert.equal(notebookPathOfCell(name), path);
    assert.ok(isSilenced(name, new Set([path])), name);
  }));
});

test("cells of other notebooks, and files that are not cells, are answered as usual", () => {
  fc.assert(fc.property(notebookPath, notebookPath, fragment, (ours, theirs, cell) => {
    fc.pre(ours !== theirs);
    const notebooks = new Set([ours]);
    assert.ok(!isSilenced(serverFileName({ scheme: "vscode-notebook-cell", authority: "", path: theirs, fragment: cell }), notebooks));
    // The notebook file itself, an untitled TypeScript file of the same path, and a file on disk.
    assert.ok(!isSilenced(ours, notebooks));
    assert.ok(!isSilenced(serverFileName({ scheme: "untitled", authority: "", path: ours, fragment: "" }), notebooks));
    assert.ok(!isSilenced(`/home/user/vscode-notebook-cell${ours}#${cell}`, notebooks));
  }));
});

test("a configuration without a list of notebooks names none; malformed entries are dropped", () => {
  for (const configuration of [undefined, null, {}, { name: TSSERVER_PLUGIN_NAME }, { notebooks: "/a.ipynb" }]) {
    assert.equal(silencedNotebooks(configuration), undefined, JSON.stringify(configuration));
  }
  assert.deepEqual([...silencedNotebooks({ notebooks: [1, null] })!], []);
  assert.deepEqual([...silencedNotebooks({ notebooks: ["/a.ipynb", 3] })!], ["/a.ipynb"]);
});

test("before the extension names any notebook, a cell is silenced when its notebook's file names our kernel", () => {
  const cell = "^/vscode-notebook-cell/ts-nul-authority/c:/work/a.ipynb#W0sZmlsZQ==";
  const ours = JSON.stringify({ metadata: { kernelspec: { name: "agnb-typescript" } }, cells: [] });
  const deno = JSON.stringify({ metadata: { kernelspec: { name: "deno" }, language_info: { name: "typescript" } }, cells: [] });
  assert.equal(notebookFile("/c:/work/a.ipynb"), "c:/work/a.ipynb");
  assert.equal(notebookFile("/work/a.ipynb"), "/work/a.ipynb");
  assert.ok(isSilenced(cell, undefined, (path) => namesOurKernel(path === "/c:/work/a.ipynb" ? ours : undefined)));
  assert.ok(!isSilenced(cell, undefined, () => namesOurKernel(deno)));
  assert.ok(!isSilenced(cell, undefined, () => namesOurKernel("{ not json")));
  assert.ok(!isSilenced(cell, undefined, () => namesOurKernel(undefined)));
  // Once named, the extension's word counts: it knows the notebook's selected kernel.
  assert.ok(!isSilenced(cell, new Set(), () => namesOurKernel(ours)));
});

test("package.json contributes the plugin under the name the build and the extension use", () => {
  const manifest = JSON.parse(readFileSync(`${root}package.json`, "utf8"));
  assert.deepEqual(manifest.contributes.typescriptServerPlugins, [{ name: TSSERVER_PLUGIN_NAME, enableForWorkspaceTypeScriptVersions: true }]);
  assert.match(readFileSync(`${root}scripts/build.mjs`, "utf8"), new RegExp(`node_modules/${TSSERVER_PLUGIN_NAME}"`));
  assert.match(readFileSync(`${root}.vscodeignore`, "utf8"), new RegExp(`^!node_modules/${TSSERVER_PLUGIN_NAME}/index\\.js$`, "m"));
});

test("the package carries the built plugin where the TypeScript server looks for it", () => {
  const built = `node_modules/${TSSERVER_PLUGIN_NAME}/index.js`;
  assert.ok(existsSync(`${root}${built}`), `${built} is missing: run npm run build`);
  // vsce takes node_modules folders from npm's listing, which names the built folder too.
  const listed = spawnSync(process.execPath, [`${root}node_modules/@vscode/vsce/vsce`, "ls"], { cwd: root, encoding: "utf8" });
  assert.equal(listed.status, 0, listed.stderr);
  const files = listed.stdout.split("\n");
  assert.ok(files.includes(built) && files.includes(`node_modules/${TSSERVER_PLUGIN_NAME}/package.json`), "vsce ls lists the plugin");
});

// A real TypeScript language service over a notebook's cell and a plain file, decorated by the plugin.
function decoratedService(config: unknown, kernelOnDisk = "python3") {
  const cell = "^/vscode-notebook-cell/ts-nul-authority/work/shared.ipynb#W0sZmlsZQ==";
  const plain = "/work/plain.ts";
  const source = "const w = tf.constant(1);\nconst n: number = 'x';\nw.";
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [cell, plain],
    getScriptVersion: () => "1",
    getScriptSnapshot: (name) => name === cell || name === plain ? ts.ScriptSnapshot.fromString(source) : undefined,
    getCurrentDirectory: () => "/work",
    // As tsserver does for documents it is told are TypeScript, whatever their name.
    getScriptKind: () => ts.ScriptKind.TS,
    getCompilationSettings: () => ({ strict: true, noLib: true, allowNonTsExtensions: true }),
    getDefaultLibFileName: () => "lib.d.ts",
    fileExists: (name) => name === cell || name === plain,
    readFile: () => undefined,
  };
  const logged: string[] = [];
  const plugin = init({ typescript: ts });
  const notebookOnDisk = (path: string) => path === "/work/shared.ipynb" ? JSON.stringify({ metadata: { kernelspec: { name: kernelOnDisk } } }) : undefined;
  const projectService = { logger: { info: (line: string) => logged.push(line) }, host: { readFile: notebookOnDisk } };
  const info = { languageService: ts.createLanguageService(host), config, project: { projectService } };
  return { service: plugin.create(info as unknown as ts.server.PluginCreateInfo), plugin, cell, plain, position: source.indexOf("w ="), end: source.length, logged };
}

test("the decorated service answers nothing in a silenced cell and as before elsewhere", () => {
  const { service, plugin, cell, plain, position, end, logged } = decoratedService({ name: TSSERVER_PLUGIN_NAME });
  // Not configured yet: the cell is answered.
  assert.match(ts.displayPartsToString(service.getQuickInfoAtPosition(cell, position)?.displayParts), /const w: any/);
  plugin.onConfigurationChanged!({ notebooks: ["/work/shared.ipynb"] });
  assert.equal(service.getQuickInfoAtPosition(cell, position), undefined);
  assert.equal(service.getCompletionsAtPosition(cell, end, {}), undefined);
  assert.equal(service.getDefinitionAndBoundSpan(cell, position), undefined);
  assert.deepEqual(service.getSemanticDiagnostics(cell), []);
  assert.deepEqual(service.getSyntacticDiagnostics(cell), []);
  assert.deepEqual(service.getSuggestionDiagnostics(cell), []);
  assert.match(logged.join("\n"), /shared\.ipynb#W0sZmlsZQ== is a cell of a notebook on the Autograd kernel/);
  // The plain file keeps every answer: `tf` is unknown and 'x' is no number.
  assert.match(ts.displayPartsToString(service.getQuickInfoAtPosition(plain, position)?.displayParts), /const w: any/);
  const codes = service.getSemanticDiagnostics(plain).map((d) => d.code);
  assert.ok(codes.includes(2304) && codes.includes(2322), `TS2304 and TS2322 in ${codes.join(", ")}`);
  // A notebook that leaves our kernel is answered again.
  plugin.onConfigurationChanged!({ notebooks: [] });
  assert.ok(service.getSemanticDiagnostics(cell).length > 0);
});

test("a project made after the configuration reads it from its creation info", () => {
  const { service, cell, position } = decoratedService({ name: TSSERVER_PLUGIN_NAME, notebooks: ["/work/shared.ipynb"] });
  assert.equal(service.getQuickInfoAtPosition(cell, position), undefined);
});

test("a server never configured goes by the notebook file's kernelspec", () => {
  const ours = decoratedService({ name: TSSERVER_PLUGIN_NAME }, "agnb-typescript");
  assert.equal(ours.service.getQuickInfoAtPosition(ours.cell, ours.position), undefined);
  assert.ok(ours.service.getQuickInfoAtPosition(ours.plain, ours.position));
  const python = decoratedService({ name: TSSERVER_PLUGIN_NAME }, "python3");
  assert.ok(python.service.getQuickInfoAtPosition(python.cell, python.position));
});
