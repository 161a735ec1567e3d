/**
 * What every cell sees besides Node's globals: the engine as `tf` (a value, and a namespace of
 * types: `tf.Tensor`), the display functions, and `prompt`/`input` for asking the user. Cells are
 * type-checked against these declarations (see type-checker.ts), from dist/types next to the
 * engine's declarations; in cells, this file is also what `import ... from "autograd-notebook"`
 * means.
 */
export * from "./engine/index";
export as namespace tf;

declare global {
  interface DisplayOptions {
    /** Names the output, so that a later `display(value, { id })` or `handle.update` replaces it. */
    id?: string;
    /** The value already is a MIME bundle such as `{ "text/html": "<b>hi</b>" }`. */
    raw?: boolean;
  }

  interface DisplayHandle {
    readonly id: string;
    /** Replaces the output in place. */
    update(value: unknown): void;
    /** Shows the value as a new output under the same id. */
    display(value: unknown): void;
  }

  /** Shows a value (a tensor, tape, Jacobian, History or anything) as an output of this cell. */
  function display(value: unknown, options?: DisplayOptions): DisplayHandle;

  /** Clears this cell's outputs; with `wait`, only once new output arrives. */
  function clearOutput(wait?: boolean): void;

  /**
   * Asks the user for a line of text and waits for it, blocking the cell (like a browser's
   * `prompt`). Returns the text, or `null` if the frontend sent none. Throws
   * `StdinNotImplementedError` when the frontend does not support input requests or the runtime
   * has no SharedArrayBuffer to block on (`input` works there), and `KeyboardInterrupt` when the
   * cell is interrupted while waiting.
   */
  function prompt(question?: string): string | null;

  /** Asks the user for a line of text without blocking: `const name = await input("Name? ")`. */
  function input(question?: string): Promise<string | null>;
}
