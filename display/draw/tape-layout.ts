// Lays a recorded tape out as a left-to-right DAG. Sources, constants and targets are nodes of
// their own; intermediate tensors become the edges between the ops that produce and use them,
// labelled with their shapes, which keeps a 500-op tape readable.
import type { TapePayload, TapeTensorInfo } from "../contract";

export const NODE_WIDTH = 112;
export const NODE_HEIGHT = 38;
const GAP_X = 64;
const GAP_Y = 18;
const MARGIN = 12;

export interface LaidOutNode {
  key: string;
  kind: "op" | "source" | "constant" | "target";
  label: string;
  /** The op's id, or the tensor's id for tensor nodes. */
  id: number;
  /** The tensor a tensor node stands for, or an op's first output (for its gradient). */
  tensor?: TapeTensorInfo;
  onPath: boolean;
  layer: number;
  x: number;
  y: number;
}

export interface LaidOutEdge {
  from: string;
  to: string;
  tensor: TapeTensorInfo | undefined;
  onPath: boolean;
}

export interface TapeLayout {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  width: number;
  height: number;
}

export function layoutTape(tape: TapePayload): TapeLayout {
  const tensors = new Map(tape.tensors.map((t) => [t.id, t]));
  const producer = new Map<number, string>();
  for (const op of tape.nodes) for (const out of op.outputs) producer.set(out, `op${op.id}`);

  const nodes = new Map<string, LaidOutNode>();
  const edges: LaidOutEdge[] = [];
  const addNode = (node: Omit<LaidOutNode, "layer" | "x" | "y">) => {
    if (!nodes.has(node.key)) nodes.set(node.key, { ...node, layer: 0, x: 0, y: 0 });
  };
  const tensorNode = (tensor: TapeTensorInfo, kind: LaidOutNode["kind"]) => {
    addNode({ key: `t${tensor.id}`, kind, id: tensor.id, tensor, label: tensorLabel(tensor), onPath: tensor.gradient !== undefined });
    return `t${tensor.id}`;
  };
  // Where a tensor visibly comes from: its own node (sources, constants), else its producing op.
  const origin = (id: number): string => {
    const tensor = tensors.get(id) ?? { id, shape: [], dtype: "float32", role: "constant" as const };
    if (tensor.role === "source") return tensorNode(tensor, "source");
    return producer.get(id) ?? tensorNode(tensor, "constant");
  };

  for (const id of tape.sources) { const t = tensors.get(id); if (t) tensorNode(t, "source"); }
  for (const op of tape.nodes) {
    const key = `op${op.id}`;
    addNode({ key, kind: "op", id: op.id, label: op.op, tensor: tensors.get(op.outputs[0]), onPath: op.onGradientPath === true });
    for (const input of op.inputs) {
      const from = origin(input);
      edges.push({ from, to: key, tensor: tensors.get(input), onPath: false });
    }
  }
  const targets = new Set([...tape.targets, ...tape.tensors.filter((t) => t.role === "target").map((t) => t.id)]);
  for (const id of targets) {
    const tensor = tensors.get(id);
    const from = producer.get(id);
    if (!tensor || !from) continue;
    edges.push({ from, to: tensorNode(tensor, "target"), tensor, onPath: false });
  }
  for (const edge of edges) edge.onPath = nodes.get(edge.from)!.onPath && nodes.get(edge.to)!.onPath;

  const layers = assignLayers([...nodes.values()], edges);
  orderLayers(layers, edges);
  const tallest = Math.max(1, ...layers.map((layer) => layer.length));
  const height = tallest * (NODE_HEIGHT + GAP_Y) - GAP_Y + 2 * MARGIN;
  layers.forEach((layer, column) => {
    const offset = ((tallest - layer.length) * (NODE_HEIGHT + GAP_Y)) / 2;
    layer.forEach((node, row) => {
      node.x = MARGIN + column * (NODE_WIDTH + GAP_X);
      node.y = MARGIN + offset + row * (NODE_HEIGHT + GAP_Y);
    });
  });
  const width = Math.max(1, layers.length) * (NODE_WIDTH + GAP_X) - GAP_X + 2 * MARGIN;
  return { nodes: [...nodes.values()], edges, width, height };
}

function tensorLabel(tensor: TapeTensorInfo): string {
  if (tensor.name) return tensor.name;
  return `${tensor.role === "target" ? "target" : tensor.role === "source" ? "source" : "const"} #${tensor.id}`;
}

/** Longest-path layering: each node one column right of its furthest input. */
function assignLayers(nodes: LaidOutNode[], edges: LaidOutEdge[]): LaidOutNode[][] {
  const incoming = new Map(nodes.map((n) => [n.key, [] as string[]]));
  const outgoing = new Map(nodes.map((n) => [n.key, [] as string[]]));
  for (const e of edges) { incoming.get(e.to)!.push(e.from); outgoing.get(e.from)!.push(e.to); }
  const pending = new Map(nodes.map((n) => [n.key, incoming.get(n.key)!.length]));
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const queue = nodes.filter((n) => pending.get(n.key) === 0);
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    for (const next of outgoing.get(node.key)!) {
      const target = byKey.get(next)!;
      target.layer = Math.max(target.layer, node.layer + 1);
      pending.set(next, pending.get(next)! - 1);
      if (pending.get(next) === 0) queue.push(target);
    }
  }
  // Inputs (sources, constants) sit just left of their first use rather than all in column 0,
  // where a long tape would stack hundreds of them.
  for (const node of nodes) {
    const next = outgoing.get(node.key)!;
    if (incoming.get(node.key)!.length === 0 && next.length > 0) {
      node.layer = Math.max(0, Math.min(...next.map((key) => byKey.get(key)!.layer)) - 1);
    }
  }
  const layers: LaidOutNode[][] = [];
  for (const node of nodes) (layers[node.layer] ??= []).push(node);
  return layers.filter(Boolean);
}

/** Two barycentre sweeps, so edges mostly run straight instead of criss-crossing. */
function orderLayers(layers: LaidOutNode[][], edges: LaidOutEdge[]): void {
  const neighbours = (direction: "in" | "out") => {
    const map = new Map<string, string[]>();
    for (const e of edges) {
      const [key, other] = direction === "in" ? [e.to, e.from] : [e.from, e.to];
      (map.get(key) ?? map.set(key, []).get(key)!).push(other);
    }
    return map;
  };
  const inputs = neighbours("in");
  const outputs = neighbours("out");
  const sweep = (sequence: LaidOutNode[][], links: Map<string, string[]>) => {
    const position = new Map<string, number>();
    for (const layer of layers) layer.forEach((n, i) => position.set(n.key, i));
    for (const layer of sequence) {
      const centre = (n: LaidOutNode) => {
        const linked = (links.get(n.key) ?? []).map((k) => position.get(k)!).filter((p) => p !== undefined);
        return linked.length ? linked.reduce((a, b) => a + b, 0) / linked.length : position.get(n.key)!;
      };
      const keyed = layer.map((n) => [centre(n), n] as const).sort((a, b) => a[0] - b[0]);
      keyed.forEach(([, n], i) => { layer[i] = n; position.set(n.key, i); });
    }
  };
  sweep(layers.slice(1), inputs);
  sweep(layers.slice(0, -1).reverse(), outputs);
}
