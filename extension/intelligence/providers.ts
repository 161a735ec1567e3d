// Completion, hover and signature help for our cells, answered by the kernel's type checker.
import * as vscode from "vscode";
import { CELL_SELECTOR, utf16Offset, type NotebookLanguage } from "./notebook-language";

interface TypedMatch { text: string; type: string; signature?: string; documentation?: string }

const KINDS: Record<string, vscode.CompletionItemKind> = {
  method: vscode.CompletionItemKind.Method, function: vscode.CompletionItemKind.Function, property: vscode.CompletionItemKind.Property,
  getter: vscode.CompletionItemKind.Property, setter: vscode.CompletionItemKind.Property, const: vscode.CompletionItemKind.Constant,
  let: vscode.CompletionItemKind.Variable, var: vscode.CompletionItemKind.Variable, "local var": vscode.CompletionItemKind.Variable,
  class: vscode.CompletionItemKind.Class, interface: vscode.CompletionItemKind.Interface, type: vscode.CompletionItemKind.TypeParameter,
  enum: vscode.CompletionItemKind.Enum, module: vscode.CompletionItemKind.Module, alias: vscode.CompletionItemKind.Reference,
  keyword: vscode.CompletionItemKind.Keyword, instance: vscode.CompletionItemKind.Variable, number: vscode.CompletionItemKind.Value,
  string: vscode.CompletionItemKind.Value, object: vscode.CompletionItemKind.Variable,
};

export function registerProviders(language: NotebookLanguage): vscode.Disposable[] {
  return [
    vscode.languages.registerCompletionItemProvider(CELL_SELECTOR, {
      async provideCompletionItems(document, position) {
        const reply = await language.ask(document, "complete_request", position);
        if (!reply) return undefined;
        const text = document.getText();
        const range = new vscode.Range(document.positionAt(utf16Offset(text, reply.cursor_start)), document.positionAt(utf16Offset(text, reply.cursor_end)));
        const typed: TypedMatch[] = reply.metadata?._jupyter_types_experimental ?? reply.matches.map((name: string) => ({ text: name, type: "" }));
        const items = typed.map((match, index) => {
          const item = new vscode.CompletionItem({ label: match.text, description: match.type }, KINDS[match.type] ?? vscode.CompletionItemKind.Text);
          item.range = range;
          item.detail = match.signature || undefined;
          if (match.documentation) item.documentation = new vscode.MarkdownString(match.documentation);
          // The kernel's order: typed matches as TypeScript sorts them, then the live values'.
          item.sortText = String(index).padStart(5, "0");
          return item;
        });
        return new vscode.CompletionList(items, false);
      },
    }, "."),
    vscode.languages.registerHoverProvider(CELL_SELECTOR, {
      async provideHover(document, position) {
        const reply = await language.ask(document, "inspect_request", position);
        const markdown = reply?.found ? reply.data?.["text/markdown"] ?? reply.data?.["text/plain"] : undefined;
        if (typeof markdown !== "string") return undefined;
        return new vscode.Hover(new vscode.MarkdownString(markdown), document.getWordRangeAtPosition(position));
      },
    }),
    vscode.languages.registerSignatureHelpProvider(CELL_SELECTOR, {
      async provideSignatureHelp(document, position) {
        const reply = await language.ask(document, "agnb_signature_request", position);
        if (!reply?.signatures?.length) return undefined;
        const help = new vscode.SignatureHelp();
        help.signatures = reply.signatures.map((signature: { label: string; documentation: string; parameters: Array<{ label: string; documentation: string }> }) => {
          const information = new vscode.SignatureInformation(signature.label, signature.documentation ? new vscode.MarkdownString(signature.documentation) : undefined);
          information.parameters = signature.parameters.map((parameter) => new vscode.ParameterInformation(parameter.label, parameter.documentation || undefined));
          return information;
        });
        help.activeSignature = reply.activeSignature;
        help.activeParameter = reply.activeParameter;
        return help;
      },
    }, "(", ","),
  ];
}
