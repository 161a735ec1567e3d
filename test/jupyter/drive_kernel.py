"""Drives the agnb-typescript kernel with Debian's jupyter_client, as a Python frontend would.

Usage: drive_kernel.py KERNEL_NAME SCENARIO, SCENARIO being "session" (seed cells, interrupts,
input, a forged message, restart) or "interrupt" (interrupts only, for the signal kernelspec).
Prints one JSON object of what it saw; the Node test asserts on it.
"""
import json
import sys
import time

from jupyter_client.blocking import BlockingKernelClient
from jupyter_client.manager import KernelManager

TIMEOUT = 60


def run(client, code, allow_stdin=False, stdin_hook=None):
    """Executes a cell; returns its reply status and the text a user would read."""
    texts = []

    def collect(message):
        content, kind = message["content"], message["msg_type"]
        if kind == "stream":
            texts.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            texts.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            texts.append(f"{content['ename']}: {content['evalue']}")

    reply = client.execute_interactive(code, timeout=TIMEOUT, output_hook=collect, allow_stdin=allow_stdin, stdin_hook=stdin_hook)
    return {"status": reply["content"]["status"], "texts": texts}


def interrupted(manager, client, code):
    """Starts a cell that does not end by itself, interrupts it, and returns its reply and the time it took."""
    msg_id = client.execute(code)
    time.sleep(1.0)
    beating = client.hb_channel.is_beating()
    start = time.monotonic()
    manager.interrupt_kernel()
    while True:
        reply = client.get_shell_msg(timeout=TIMEOUT)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    content = reply["content"]
    return {"status": content["status"], "ename": content.get("ename"), "seconds": time.monotonic() - start, "beating": beating}


def interrupts(manager, client):
    return {
        "define": run(client, "const kept = 41;"),
        "spin": interrupted(manager, client, "while (true) {}"),
        "after_spin": run(client, "kept + 1"),
        "await": interrupted(manager, client, "await new Promise(r => setTimeout(r, 60000))"),
        "after_await": run(client, "kept + 2"),
    }


def session(manager, client):
    seen = {
        "seed": [
            run(client, "const x = new tf.Variable(3.0);\nconst tape = new tf.GradientTape();\nconst y = tape.record(() => tf.pow(x, 2));\nconst dy_dx = tape.gradient(y, x);\ndy_dx"),
            run(client, "console.log(dy_dx.numpy());"),
            run(client, "const W = new tf.Variable([1.0], {name: 'weight'});\nconst b = new tf.Variable([0.0], {name: 'bias'});\n"
                        "const xTrain = tf.constant([[1.0], [2.0], [3.0]]);\nconst yTrain = tf.constant([[2.0], [4.0], [6.0]]);\n"
                        "const lossTape = new tf.GradientTape();\nconst loss = lossTape.record(() => tf.reduceMean(tf.square(tf.sub(yTrain, tf.add(tf.mul(W, xTrain), b)))));\n"
                        "const [dW, db] = lossTape.gradient(loss, [W, b]);\nconsole.log(loss.numpy(), dW.numpy(), db.numpy());"),
        ],
    }
    seen.update(interrupts(manager, client))

    seen["input"] = run(client, 'const who = prompt("name?");\n`hello ${who}`', allow_stdin=True,
                        stdin_hook=lambda message: client.input(f"Ada ({message['content']['prompt']})"))

    # A client whose key is wrong: its request must never run.
    forged_code = "(globalThis as any).forged = 'ran';"
    forger = BlockingKernelClient(connection_file=manager.connection_file)
    forger.load_connection_file()
    forger.session.key = b"not-the-key"
    forger.start_channels()
    forger.execute(forged_code)
    forger.kernel_info()
    time.sleep(1.5)
    forger.stop_channels()
    check = "console.log(typeof (globalThis as any).forged)"
    seen["after_forgery"] = run(client, check)
    # The same request, signed with the right key, does run: the check above can tell.
    run(client, forged_code)
    seen["after_genuine"] = run(client, check)

    manager.restart_kernel(now=False)
    client.wait_for_ready(timeout=TIMEOUT)
    seen["after_restart"] = run(client, "console.log(typeof (globalThis as any).forged, 6 * 7)")
    return seen


def main():
    name, scenario = sys.argv[1], sys.argv[2]
    manager = KernelManager(kernel_name=name)
    manager.start_kernel()
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=TIMEOUT)
        seen = session(manager, client) if scenario == "session" else interrupts(manager, client)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)
    seen["alive_after_shutdown"] = manager.is_alive()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
