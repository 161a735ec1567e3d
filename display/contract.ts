/**
 * The display contract: MIME types and the JSON payload each carries.
 *
 * The engine builds these payloads (objects display themselves through
 * `[Symbol.for("Jupyter.display")]()`), the kernel forwards them, and the
 * renderers draw them. Beside each rich payload a bundle carries a static picture of it drawn by
 * display/draw (`image/svg+xml`, and the same as an <img> in `text/html`), for frontends
 * without our renderers. This module is
 * types and constants only, so renderers can import it without pulling in the engine.
 */

export const MIME = {
  tensor: "application/vnd.agnb.tensor+json",
  tape: "application/vnd.agnb.tape+json",
  jacobian: "application/vnd.agnb.jacobian+json",
  plotly: "application/vnd.plotly.v1+json",
  svg: "image/svg+xml",
  html: "text/html",
  text: "text/plain",
} as const;

export type MimeType = (typeof MIME)[keyof typeof MIME];

/** What `[Symbol.for("Jupyter.display")]()` returns: MIME type → payload. */
export type MimeBundle = { [mime: string]: unknown };

export const DISPLAY_SYMBOL: unique symbol = Symbol.for("Jupyter.display") as never;

export type DType = "float32" | "float64" | "int32" | "bool";

export type NestedValues = number | boolean | NestedValues[];

/** A tensor's values, or a summary of them when it is too large to print. */
export interface TensorData {
  dtype: DType;
  shape: number[];
  size: number;
  /** Present when `size` is at most the display limit (nested like `numpy()`). */
  values?: NestedValues;
  /** Present for tensors too large to list (and for every non-scalar, as a convenience). */
  summary?: TensorSummary;
}

export interface TensorSummary {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Count of NaN / ±Infinity values, so a renderer can flag them. */
  nonFinite: number;
  /** The flattened values averaged into at most 64 bins, for a heat strip. */
  strip: number[];
}

export interface TensorEntry {
  /** The source's name in a gradient list ("W", "bias", "[0]"), or null for a lone tensor. */
  label: string | null;
  /** `variable` for tf.Variable, `tensor` otherwise. */
  kind: "tensor" | "variable";
  /** Variable or tensor name, if any. */
  name?: string;
  /** null where a gradient is unconnected. */
  data: TensorData | null;
}

/** application/vnd.agnb.tensor+json */
export interface TensorPayload {
  /** `single`: one tensor; `array`/`object`: a structure such as a gradient list. */
  structure: "single" | "array" | "object";
  entries: TensorEntry[];
}

/** One value (tensor) that flows through a recorded tape. */
export interface TapeTensorInfo {
  id: number;
  shape: number[];
  dtype: DType;
  name?: string;
  /** `source`: watched tensor or variable; `target`: passed to gradient(); `constant`: unwatched input. */
  role: "source" | "target" | "intermediate" | "constant";
  /** Small tensors only: their values, for hover. */
  value?: TensorData;
  /** After gradient(): the gradient that reached this tensor (summed over its uses). */
  gradient?: TensorData;
}

/** One recorded operation. */
export interface TapeNodeInfo {
  id: number;
  op: string;
  inputs: number[];
  outputs: number[];
  /** Whether a gradient flowed through this node in the last gradient() call. */
  onGradientPath?: boolean;
}

/** application/vnd.agnb.tape+json: a tape's description of itself. */
export interface TapePayload {
  persistent: boolean;
  /** True while the tape is still recording. */
  recording: boolean;
  nodes: TapeNodeInfo[];
  tensors: TapeTensorInfo[];
  /** Ids of watched tensors/variables, in watch order. */
  sources: number[];
  /** Ids of the targets of the last gradient()/jacobian() call (empty before one). */
  targets: number[];
  /** Nodes left out when the tape is too large to send whole. */
  truncatedNodes?: number;
}

/** application/vnd.agnb.jacobian+json: a matrix of derivatives drawn as a heatmap. */
export interface JacobianPayload {
  kind: "jacobian" | "hessian";
  title?: string;
  /** The full tensor's shape is [...targetShape, ...sourceShape]; rows flatten the target. */
  targetShape: number[];
  sourceShape: number[];
  rows: number;
  cols: number;
  /** Row-major, rows × cols (non-finite values as null). */
  values: (number | null)[];
  rowLabels?: string[];
  colLabels?: string[];
}

/** application/vnd.plotly.v1+json */
export interface PlotlyPayload {
  data: Array<Record<string, unknown>>;
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}
