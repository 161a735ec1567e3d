/**
 * The checker thread's answers to editor requests: complete_reply and inspect_reply contents from
 * types, signature help, and the diagnostics a cell being edited would be refused with.
 */
import type { IntelligenceRequest, IntelligenceResponse } from "./intelligence-channel";
import type { CellLanguageService } from "./language-service";
import type { CellTypeChecker } from "./type-checker";

export function answer(request: IntelligenceRequest, service: CellLanguageService, checker: CellTypeChecker): IntelligenceResponse {
  const { id, code } = request;
  const cursor = toUtf16Offset(code, request.cursor_pos);
  switch (request.kind) {
    case "complete": {
      const typed = service.complete(code, cursor);
      const start = toCodePoints(code, typed.start);
      const end = toCodePoints(code, typed.end);
      return {
        id,
        runtime: !typed.complete,
        content: {
          status: "ok",
          matches: typed.matches.map((match) => match.text),
          cursor_start: start,
          cursor_end: end,
          metadata: { _jupyter_types_experimental: typed.matches.map((match) => ({ ...match, start, end })) },
        },
      };
    }
    case "inspect": {
      const typed = service.inspect(code, cursor);
      // The live value, where there is one, is shown below its type.
      if (!typed.found) return { id, runtime: true, content: { status: "ok", found: false, data: {}, metadata: {} } };
      return { id, runtime: true, content: { status: "ok", found: true, data: { "text/plain": typed.plain, "text/markdown": typed.markdown }, metadata: {} } };
    }
    case "signature":
      return { id, runtime: false, content: { status: "ok", ...service.signatureHelp(code, cursor) } };
    case "diagnostics":
      return { id, runtime: false, content: { status: "ok", agnb_problems: checker.check(code, false).map(({ lineText: _, ...problem }) => problem) } };
  }
}

/** Jupyter counts cursor positions in Unicode code points; JavaScript strings in UTF-16 units. */
export function toUtf16Offset(text: string, codePoints: number): number {
  let offset = 0;
  for (let i = 0; i < codePoints && offset < text.length; i++) offset += text.codePointAt(offset)! > 0xffff ? 2 : 1;
  return offset;
}

function toCodePoints(text: string, utf16Offset: number): number {
  return [...text.slice(0, utf16Offset)].length;
}
