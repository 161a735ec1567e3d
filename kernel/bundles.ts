/**
 * Builds the kernel and CLI bundles into a folder of one's choosing, with the options of
 * scripts/build.mjs, so that tests and benchmarks run the same code the package ships without
 * depending on a full build.
 */
import { build, type BuildOptions } from "esbuild";
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";

export const ROOT = join(__dirname, "..");

export interface KernelBundles { kernel: string; cli: string }

let building: Promise<KernelBundles> | null = null;

/** Builds once per process into .test-output/bundles-<pid>. */
export function buildKernelBundles(): Promise<KernelBundles> {
  building ??= (async () => {
    const folder = join(ROOT, ".test-output", `bundles-${process.pid}`);
    mkdirSync(folder, { recursive: true });
    process.once("exit", () => rmSync(folder, { recursive: true, force: true }));
    const common: BuildOptions = {
      bundle: true, platform: "node", target: "node20", format: "cjs", sourcemap: "linked", logLevel: "warning",
      external: ["esbuild", "typescript", "@types/node/package.json"],
    };
    const bundles = { kernel: join(folder, "kernel.cjs"), cli: join(folder, "cli.cjs") };
    await Promise.all([
      build({ ...common, entryPoints: [join(ROOT, "kernel/main.ts")], outfile: bundles.kernel }),
      build({ ...common, entryPoints: [join(ROOT, "kernel/cli.ts")], outfile: bundles.cli }),
      build({ ...common, entryPoints: [join(ROOT, "kernel/type-check-worker.ts")], outfile: join(folder, "type-check-worker.cjs") }),
      build({ ...common, external: ["zeromq"], entryPoints: [join(ROOT, "kernel/transport/thread.ts")], outfile: join(folder, "kernel-transport.cjs") }),
    ]);
    // The declarations cells are checked against come from the build (npm run build).
    symlinkSync(join(ROOT, "dist", "types"), join(folder, "types"));
    if (!existsSync(bundles.kernel)) throw new Error("kernel bundle was not written");
    return bundles;
  })();
  return building;
}
