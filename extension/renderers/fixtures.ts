// Payloads of a given size, shaped like the engine's, for render tests and benchmarks.
import type { JacobianPayload, TapePayload } from "../../display/contract";

/**
 * A tape of `ops` recorded operations: a running value combined with a fresh constant at each
 * step and, every few steps, with an earlier result, so the graph branches and joins like a
 * real model's does. Gradient flags are set as after `tape.gradient(last, x)`.
 */
export function syntheticTape(ops: number): TapePayload {
  const tensors: TapePayload["tensors"] = [{ id: 0, shape: [4], dtype: "float32", name: "x", role: "source", gradient: { dtype: "float32", shape: [4], size: 4, values: [1, 2, 3, 4] } }];
  const nodes: TapePayload["nodes"] = [];
  let current = 0;
  let nextId = 1;
  const names = ["mul", "add", "tanh", "sub", "square", "exp"];
  for (let i = 0; i < ops; i++) {
    const op = names[i % names.length];
    const inputs = [current];
    if (op === "mul" || op === "add" || op === "sub") {
      const other = i % 7 === 0 && i > 4 ? nodes[i - 4].outputs[0] : nextId++;
      if (other === nextId - 1) tensors.push({ id: other, shape: [4], dtype: "float32", role: "constant", value: { dtype: "float32", shape: [4], size: 4, values: [0.5, 0.5, 0.5, 0.5] } });
      inputs.push(other);
    }
    const out = nextId++;
    tensors.push({ id: out, shape: [4], dtype: "float32", role: i === ops - 1 ? "target" : "intermediate", gradient: { dtype: "float32", shape: [4], size: 4, values: [1, 1, 1, 1] } });
    nodes.push({ id: i, op, inputs, outputs: [out], onGradientPath: true });
    current = out;
  }
  return { persistent: false, recording: false, nodes, tensors, sources: [0], targets: [current] };
}

/** A rows × cols matrix with a smooth pattern of both signs (deterministic). */
export function syntheticJacobian(rows: number, cols: number): JacobianPayload {
  const values = Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * Math.cos((i % cols) * 0.11));
  return { kind: "jacobian", targetShape: [rows], sourceShape: [cols], rows, cols, values };
}
