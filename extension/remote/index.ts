// Remote kernels in VS Code: "Autograd: Connect to Jupyter Server…" asks for a URL and a token,
// checks them, lists the server's kernelspecs and offers "TypeScript (Autograd) on HOST" beside
// the local controller; "Autograd: Disconnect from Jupyter Server…" forgets one. Remembered
// servers get their controllers back when VS Code starts.
import * as vscode from "vscode";
import { checkServer, describeServer, parseServer, REMOTE_KERNEL_NAME, type RemoteServer } from "../../kernel/remote/server";
import type { NotebookKernels } from "../notebook-kernels";
import { RemoteController } from "./remote-controller";
import { RemoteServerStore } from "./remote-servers";

export function registerRemoteKernels(context: vscode.ExtensionContext, kernels: NotebookKernels, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const store = new RemoteServerStore(context);
  const controllers = new Map<string, RemoteController>();
  const forget = (url: string) => {
    const controller = controllers.get(url);
    if (!controller) return;
    kernels.remove(controller);
    controller.dispose();
    controllers.delete(url);
  };
  const offer = (server: RemoteServer) => {
    forget(server.baseUrl);
    // Type errors go through the local controller's CellProblems: one underline per error, however found.
    const controller = new RemoteController(server, kernels.problems, log);
    controllers.set(server.baseUrl, controller);
    kernels.add(controller);
  };
  void (async () => {
    for (const url of store.urls()) offer(parseServer(url, await store.token(url)));
  })();

  const connect = async () => {
    const url = await vscode.window.showInputBox({
      title: "Connect to Jupyter Server", prompt: "The server's URL (for JupyterHub, your server: https://HUB/user/NAME/)",
      placeHolder: "http://127.0.0.1:8888/", ignoreFocusOut: true,
    });
    if (!url) return;
    let server: RemoteServer;
    try {
      server = parseServer(url.trim());
    } catch (error) {
      void vscode.window.showErrorMessage((error as Error).message);
      return;
    }
    const token = server.token || await vscode.window.showInputBox({
      title: `Token for ${describeServer(server)}`, prompt: "The server's token, or a JupyterHub API token", password: true, ignoreFocusOut: true,
    });
    if (token === undefined) return;
    server = { ...server, token };
    let specs;
    try {
      specs = await checkServer(server);
    } catch (error) {
      void vscode.window.showErrorMessage((error as Error).message);
      return;
    }
    await store.remember(server.baseUrl, server.token);
    offer(server);
    const label = controllers.get(server.baseUrl)!.label;
    log.info(`connected to ${describeServer(server)}; kernelspecs: ${specs.map((spec) => spec.name).join(", ")}`);
    void vscode.window.showInformationMessage(`Connected to ${describeServer(server)}. Its kernels: ${specs.map((spec) => spec.name === REMOTE_KERNEL_NAME ? `${spec.displayName} (offered as "${label}")` : spec.displayName).join(", ")}. Pick it with Select Kernel.`);
  };

  const disconnect = async () => {
    const urls = store.urls();
    if (!urls.length) {
      void vscode.window.showInformationMessage("No Jupyter server is remembered.");
      return;
    }
    const url = await vscode.window.showQuickPick(urls, { title: "Disconnect from Jupyter Server", placeHolder: "The server to forget (its token is deleted)" });
    if (!url) return;
    forget(url);
    await store.forget(url);
  };

  return [
    vscode.commands.registerCommand("agnb.connectJupyterServer", connect),
    vscode.commands.registerCommand("agnb.disconnectJupyterServer", disconnect),
    vscode.workspace.onDidCloseNotebookDocument((notebook) => { for (const controller of controllers.values()) controller.shutdown(notebook); }),
    { dispose: () => { for (const url of [...controllers.keys()]) forget(url); } },
  ];
}
