/**
 * Interrupt reaches every kind of callback a cell can schedule, through the real kernel process:
 * `then`/`catch`/`finally` callbacks, `process.nextTick`, `queueMicrotask`, `setImmediate`, the
 * steps of async generators and `for await`, event listeners that Node calls from I/O, and the
 * completion callbacks of Node's callback APIs. Each
 * spins or runs a catastrophic regex (which no loop check reaches) and must stop within a
 * second; afterwards nothing of the cell runs or prints, and the kernel's variables are kept.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { KernelClient } from "../kernel/client";
import { assertInterrupted, interruptAfter, resultText, sleep, startKernel, streamText } from "./interrupt-helpers";

/** The issue's target: interrupt to reply within a second, for any JavaScript a cell runs. */
const WITHIN_MS = 1000;
/** Work that never reaches a loop check: seconds of backtracking. */
const SLOW_REGEX = "/(a+)+$/.test('a'.repeat(40) + '!')";
const FOREVER = "await sleep(60_000);";

describe("interrupt reaches the callbacks a cell schedules", { timeout: 180_000 }, () => {
  let kernel: KernelClient;

  before(async () => { kernel = await startKernel("agnb-interrupt-callbacks-"); });
  after(() => kernel.shutdown());

  /** Interrupts `code`, then checks that `counter` (a variable the cell counts up) stands still and nothing prints. */
  async function assertStops(code: string, counter: string | null, t: Parameters<typeof interruptAfter>[3]): Promise<void> {
    assertInterrupted(await interruptAfter(kernel, code, 300, t, WITHIN_MS));
    const first = counter ? await kernel.execute(counter) : null;
    const later = await kernel.execute(`await sleep(400);\n${counter ? `[${counter}, kept]` : "kept"}`);
    assert.equal(later.reply.content.status, "ok", JSON.stringify(later.reply.content));
    assert.equal(streamText(later), "", "nothing of the interrupted cell printed");
    assert.equal(streamText(later, "stderr"), "", "no error of the interrupted cell was reported");
    if (!first) {
      assert.equal(resultText(later), "41");
      return;
    }
    assert.ok(Number(resultText(first)) > 0, `the callbacks ran before the interrupt (${counter} = ${resultText(first)})`);
    assert.equal(resultText(later), `[ ${resultText(first)}, 41 ]`);
  }

  test("a busy loop in a then callback", async (t) => {
    await assertStops("await Promise.resolve().then(() => { while (true) {} });", null, t);
  });

  test("a catastrophic regex in then, catch and finally callbacks", async (t) => {
    await assertStops(`await Promise.resolve().then(() => ${SLOW_REGEX});`, null, t);
    await assertStops(`await Promise.reject(new Error('no')).catch(() => ${SLOW_REGEX});`, null, t);
    await assertStops(`await Promise.resolve().finally(() => ${SLOW_REGEX});`, null, t);
  });

  test("a chain of then callbacks nobody awaits stops counting", async (t) => {
    const code = "let links = 0;\n" +
      "const link = (): Promise<void> => Promise.resolve().then(() => sleep(10)).then(() => { links++; console.log('link'); return link(); });\n" +
      `void link();\n${FOREVER}`;
    await assertStops(code, "links", t);
  });

  test("process.nextTick and queueMicrotask callbacks", async (t) => {
    await assertStops(`process.nextTick(() => { for (;;) {} });\n${FOREVER}`, null, t);
    await assertStops(`process.nextTick(() => { ${SLOW_REGEX}; console.log('tick done'); });\n${FOREVER}`, null, t);
    await assertStops(`queueMicrotask(() => { ${SLOW_REGEX}; console.log('microtask done'); });\n${FOREVER}`, null, t);
  });

  test("a setImmediate that schedules itself stops", async (t) => {
    const code = "let immediates = 0;\nconst again = () => { immediates++; if (immediates % 1000 === 0) console.log('again'); setImmediate(again); };\n" +
      `again();\n${FOREVER}`;
    await assertStops(code, "immediates", t);
  });

  test("an async generator read by for await stops yielding", async (t) => {
    const code = "let yielded = 0;\nasync function* numbers() { for (let n = 1; ; n++) { await sleep(10); yield n; } }\n" +
      "for await (const n of numbers()) { yielded = n; console.log('yielded', n); }";
    await assertStops(code, "yielded", t);
  });

  test("a catastrophic regex in an async generator's step", async (t) => {
    const code = `async function* slow() { await sleep(10); yield ${SLOW_REGEX}; }\nfor await (const found of slow()) console.log('found', found);`;
    await assertStops(code, null, t);
  });

  test("an event listener Node calls from I/O (a file stream)", async (t) => {
    const code = "let chunks = 0;\nrequire('node:fs').createReadStream(process.execPath, { highWaterMark: 1024 })" +
      `.on('data', () => { chunks++; if (chunks > 5) ${SLOW_REGEX}; });\n${FOREVER}`;
    await assertStops(code, "chunks", t);
  });

  test("the completion callbacks of Node's callback APIs (fs, child_process)", async (t) => {
    const statLoop = "let stats = 0;\nconst fs = require('node:fs');\n" +
      `const again = () => fs.stat('/', () => { stats++; if (stats > 20) ${SLOW_REGEX}; again(); });\nagain();\n${FOREVER}`;
    await assertStops(statLoop, "stats", t);
    const exec = `require('node:child_process').execFile(process.execPath, ['--version'], () => { ${SLOW_REGEX}; console.log('exec done'); });\n${FOREVER}`;
    await assertStops(exec, null, t);
  });

  test("what Node added for an interrupted cell goes on working: keep-alive HTTP sockets serve later cells", { timeout: 60_000 }, async (t) => {
    const setup = [
      "const http = require('node:http');",
      "const server = http.createServer((_: unknown, response: { end(text: string): void }) => response.end('pong'));",
      "await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));",
      "const url = `http://127.0.0.1:${server.address().port}/`;",
      "const get = () => new Promise((resolve, reject) => http.get(url, (response: any) => { let body = ''; response.on('data', (chunk: string) => { body += chunk; }); response.on('end', () => resolve(body)); }).on('error', reject));",
      "const fetched = async () => (await fetch(url)).text();",
    ].join("\n");
    assert.equal((await kernel.execute(setup)).reply.content.status, "ok");
    await assertStops(`console.log(await get(), await fetched());\n${FOREVER}`, null, t);
    const later = await kernel.execute("[await get(), await fetched(), await get(), await fetched()]");
    assert.equal(resultText(later), "[ 'pong', 'pong', 'pong', 'pong' ]", JSON.stringify(later.reply.content));
    await kernel.execute("server.closeAllConnections();\nserver.close();");
  });

  test("promise callbacks, listeners, ticks and callback APIs keep their meaning", async () => {
    const code = [
      "const { EventEmitter } = require('node:events');",
      "const emitter = new EventEmitter();",
      "const listener = () => { fired++; };",
      "let fired = 0;",
      "emitter.on('a', listener);",
      "emitter.once('b', listener);",
      "const seen = [emitter.listeners('a')[0] === listener, emitter.listeners('b')[0] === listener];",
      "emitter.emit('b'); emitter.emit('b'); emitter.emit('a');",
      "emitter.removeListener('a', listener);",
      "emitter.emit('a');",
      "const chained = await Promise.resolve(1).then((v) => v + 1).finally(() => undefined);",
      "const caught = await Promise.reject(new Error('e')).catch((e: Error) => e.message);",
      "const ticked = await new Promise((resolve) => process.nextTick(resolve, 'tick'));",
      "const isFolder = await new Promise((resolve) => require('node:fs').stat('/', (_: unknown, stats: { isDirectory(): boolean }) => resolve(stats.isDirectory())));",
      "const { promisify } = require('node:util');",
      "const { stdout } = await promisify(require('node:child_process').execFile)(process.execPath, ['-e', 'process.stdout.write(`ran`)']);",
      "[seen, fired, emitter.listenerCount('a'), emitter.listenerCount('b'), chained, caught, ticked, isFolder, stdout]",
    ].join("\n");
    const result = await kernel.execute(code);
    assert.equal(result.reply.content.status, "ok", JSON.stringify(result.reply.content));
    assert.equal(resultText(result), "[ [ true, true ], 2, 0, 0, 2, 'e', 'tick', true, 'ran' ]");
  });
});
