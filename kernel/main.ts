/** The kernel process (dist/kernel.cjs): the engine, served over stdio. See PROTOCOL.md. */
import * as tf from "../engine/index";
import { version } from "../package.json";
import engineDocs from "./engine-docs.json";
import { startKernelProcess } from "./start";

startKernelProcess(tf as unknown as Record<string, unknown>, version, engineDocs);
