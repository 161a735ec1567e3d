// A real kernel puts the static picture beside the tape and the Jacobian it displays, and
// AGNB_STATIC_PICTURES=off leaves it out.
import { test } from "node:test";
import assert from "node:assert/strict";
import { buildKernelBundles } from "./bundles";
import { KernelClient } from "./client";
import { staticPicturesEnabled } from "./static-pictures";

const CELL = `const w = new tf.Variable(3.0, { name: "w" });
const tape = new tf.GradientTape({ persistent: true });
const y = tape.record(() => w.square());
tape.gradient(y, w);
display(tape);
tf.hessian((v: tf.Tensor) => v.square().reduceSum())(tf.constant([1, 2]))`;

async function bundlesShown(env: NodeJS.ProcessEnv): Promise<Record<string, unknown>[]> {
  const { kernel } = await buildKernelBundles();
  const client = new KernelClient({ kernelScript: kernel, env: { ...process.env, ...env } });
  await client.start();
  const shown: Record<string, unknown>[] = [];
  try {
    const { reply } = await client.execute(CELL, {
      onIopub: (message: { header: { msg_type: string }; content: { data?: Record<string, unknown> } }) => {
        if (message.content.data) shown.push(message.content.data);
      },
    } as never);
    assert.equal((reply.content as { status: string }).status, "ok", JSON.stringify(reply.content));
  } finally {
    await client.shutdown(false);
  }
  return shown;
}

test("the kernel's tape and Hessian bundles carry image/svg+xml before text/plain", { timeout: 60_000 }, async () => {
  const [tape, hessian] = await bundlesShown({});
  assert.deepEqual(Object.keys(tape), ["application/vnd.agnb.tape+json", "image/svg+xml", "text/html", "text/plain"]);
  assert.match(tape["image/svg+xml"] as string, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="agnb-pic"[^]*>w<\/text>[^]*<\/svg>$/);
  assert.ok(Object.keys(hessian).includes("image/svg+xml"));
  assert.match(hessian["image/svg+xml"] as string, />Hessian 2 × 2/);
});

test("AGNB_STATIC_PICTURES=off sends the bundles without pictures", { timeout: 60_000 }, async () => {
  const shown = await bundlesShown({ AGNB_STATIC_PICTURES: "off" });
  assert.equal(shown.length, 2);
  for (const bundle of shown) assert.ok(!("image/svg+xml" in bundle) && !("text/html" in bundle), Object.keys(bundle).join(", "));
  assert.equal(staticPicturesEnabled({ AGNB_STATIC_PICTURES: "false" }), false);
  assert.equal(staticPicturesEnabled({}), true);
});

test("a ready bundle shown with display(bundle, { raw: true }) gets the picture of its plotly curve", { timeout: 60_000 }, async () => {
  const { kernel } = await buildKernelBundles();
  const client = new KernelClient({ kernelScript: kernel });
  await client.start();
  const shown: Record<string, unknown>[] = [];
  try {
    await client.execute(`display({ "application/vnd.plotly.v1+json": { data: [{ type: "scatter", name: "path", x: [0, 1, 2], y: [4, 1, 0.25] }], layout: { title: { text: "descent" } } }, "text/plain": "path" }, { raw: true });`, {
      onIopub: (message: { content: { data?: Record<string, unknown> } }) => { if (message.content.data) shown.push(message.content.data); },
    } as never);
  } finally {
    await client.shutdown(false);
  }
  assert.equal(shown.length, 1);
  assert.match(shown[0]["image/svg+xml"] as string, />descent<[^]*>path: last 0\.25</);
});
