/** A tape's description of itself (display/contract.ts TapePayload), and labels for gradient lists. */
import { structureBundle, tensorData } from "./display";
import { DISPLAY_SYMBOL, type TapeNodeInfo, type TapePayload, type TapeTensorInfo } from "../../display/contract";
import type { RecordedOp, Trackable } from "../ops/op";
import { flattenWithPaths, isPlainObject, type Structure } from "../storage/structure";
import { Tensor } from "../storage/tensor";
import { Variable } from "../autodiff/variable";
import type { GradientRecord, Source } from "../autodiff/tape";

/** Beyond this many ops a tape sends only its newest ones. */
const NODE_LIMIT = 2000;
/** Tensors up to this size carry their values (for hover); larger ones a summary. */
const VALUE_LIMIT = 64;

const valueOf = (x: Trackable): Tensor => (x instanceof Variable ? x.value() : (x as Tensor));

export function describeTape(all: RecordedOp[], watched: Source[], last: GradientRecord | undefined, state: { persistent: boolean; recording: boolean }): TapePayload {
  const nodes = all.length > NODE_LIMIT ? all.slice(all.length - NODE_LIMIT) : all;
  const produced = new Set(nodes.map((n) => n.output.id));
  const watchedIds = new Set(watched.map((w) => w.id));
  const targetIds = new Set(last?.targets.map((t) => t.id) ?? []);
  const tensors = new Map<number, TapeTensorInfo>();
  const note = (x: Trackable): void => {
    if (tensors.has(x.id)) return;
    const role = watchedIds.has(x.id) ? "source" : targetIds.has(x.id) ? "target" : produced.has(x.id) ? "intermediate" : "constant";
    const info: TapeTensorInfo = { id: x.id, shape: x.shape.slice(), dtype: x.dtype, role };
    const name = (x as { name?: string }).name;
    if (name) info.name = name;
    info.value = tensorData(valueOf(x), VALUE_LIMIT);
    const g = last?.grads.get(x.id);
    if (g && g.rank === x.shape.length) info.gradient = tensorData(g, VALUE_LIMIT);
    tensors.set(x.id, info);
  };
  watched.forEach(note);
  const used = new Set(last?.used);
  const nodeInfos: TapeNodeInfo[] = nodes.map((n, i) => {
    n.inputs.forEach(note);
    note(n.output);
    const info: TapeNodeInfo = { id: i, op: n.op.name, inputs: n.inputs.map((x) => x.id), outputs: [n.output.id] };
    if (last) info.onGradientPath = used.has(n);
    return info;
  });
  last?.targets.forEach(note);
  const payload: TapePayload = {
    persistent: state.persistent,
    recording: state.recording,
    nodes: nodeInfos,
    tensors: [...tensors.values()],
    sources: watched.map((w) => w.id),
    targets: last?.targets.map((t) => t.id) ?? [],
  };
  if (all.length > nodes.length) payload.truncatedNodes = all.length - nodes.length;
  return payload;
}

/** Lets a gradient list display itself with each entry labelled by its source's name. */
export function labelledGradients<T extends Structure<Tensor>>(result: T, sources: Structure<Source>): T {
  if (!(Array.isArray(result) || isPlainObject(result))) return result;
  const isLeaf = (x: unknown): boolean => x instanceof Tensor || x instanceof Variable;
  const labels = () => flattenWithPaths(sources, isLeaf).map((e) => (e.leaf as Source | null)?.name ?? e.path);
  Object.defineProperty(result, DISPLAY_SYMBOL, {
    value: () => structureBundle(result as Structure<Tensor>, labels()),
    enumerable: false,
    configurable: true,
  });
  return result;
}
