// The notebooks the end-to-end checks make besides the examples: an endless loop to interrupt,
// one to save and reopen, one whose kernel dies, one with a type error, and a malformed file.
import { newNotebook, serializeNotebook } from "../../kernel/notebook-file";

export const SCRATCH_NOTEBOOKS: Record<string, string> = {
  "interrupt.agnb": serializeNotebook(newNotebook([
    { cell_type: "code", source: "const answer = 41;" },
    { cell_type: "code", source: "while (true) {}" },
    { cell_type: "code", source: "answer + 1" },
  ])),
  "saved.agnb": serializeNotebook(newNotebook([
    { cell_type: "code", source: "const w = new tf.Variable(5.0);\nconst tape = new tf.GradientTape();\nconst loss = tape.record(() => w.square());\ntape.gradient(loss, w)" },
  ])),
  "crash.agnb": serializeNotebook(newNotebook([
    { cell_type: "code", source: "const kept = 'still here';" },
    { cell_type: "code", source: "process.kill(process.pid, 'SIGKILL');" },
  ])),
  "typed.agnb": serializeNotebook(newNotebook([
    { cell_type: "code", source: "let rate = 0.1;" },
    { cell_type: "code", source: "console.log('ran');\nrate = 'fast';" },
    { cell_type: "code", source: "console.log('after')" },
  ])),
  "broken.agnb": '{"cells": [ {"cell_type": "code", "source": "1 +"\n',
};
