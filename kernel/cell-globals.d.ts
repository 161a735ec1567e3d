/**
 * What every cell sees besides Node's globals: the engine as `tf` (a value, and a namespace of
 * types: `tf.Tensor`), and the display functions. Cells are type-checked against these
 * declarations (see type-checker.ts), from dist/types next to the engine's declarations; in
 * cells, this file is also what `import ... from "autograd-notebook"` means.
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
}
