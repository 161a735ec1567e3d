/**
 * `import`/`require` in cells: packages resolve from the notebook's folder, CommonJS and ESM
 * alike, while "autograd-notebook" always means the kernel's own engine, so that values made
 * by user code and by the engine share one set of classes (`instanceof` works).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import vm from "node:vm";

export const ENGINE_PACKAGE = "autograd-notebook";

type Namespace = Record<string, unknown>;

export class ModuleLoader {
  readonly require: NodeRequire;
  private nativeImport: ((specifier: string) => Promise<Namespace>) | null = null;

  constructor(private readonly folder: string, private readonly engine: Namespace) {
    const notebookRequire = createRequire(join(folder, "__notebook__.js"));
    const require = ((specifier: string) => this.isEngine(specifier) ? this.engine : notebookRequire(specifier)) as NodeRequire;
    this.require = Object.assign(require, {
      resolve: notebookRequire.resolve,
      cache: notebookRequire.cache,
      main: notebookRequire.main,
      extensions: notebookRequire.extensions,
    });
  }

  async import(specifier: unknown): Promise<Namespace> {
    if (typeof specifier !== "string") throw new TypeError(`import() expects a module name, got ${typeof specifier}`);
    if (this.isEngine(specifier)) return { ...this.engine, default: this.engine };
    try {
      return asNamespace(this.require(specifier));
    } catch (error) {
      const code = (error as { code?: string }).code;
      // ESM-only packages (no "require" export, or top-level await) need the ESM loader.
      if (code !== "ERR_REQUIRE_ESM" && code !== "ERR_PACKAGE_PATH_NOT_EXPORTED" && code !== "ERR_REQUIRE_ASYNC_MODULE") {
        if (code === "MODULE_NOT_FOUND") {
          throw new Error(`Cannot find module '${specifier}' from the notebook's folder ${this.folder} (install it there with npm)`);
        }
        throw error;
      }
      return this.importAsEsm(specifier);
    }
  }

  private importAsEsm(specifier: string): Promise<Namespace> {
    if (!this.nativeImport) {
      const loader = (vm.constants as unknown as Record<string, symbol> | undefined)?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
      if (!loader) throw new Error(`'${specifier}' is an ES module, which this Node version cannot load into a notebook`);
      // A script "located" in the notebook's folder, so the ESM loader resolves from there.
      this.nativeImport = vm.runInThisContext("(specifier) => import(specifier)", {
        filename: join(this.folder, "__notebook__.js"),
        importModuleDynamically: loader as never,
      });
    }
    return this.nativeImport!(specifier);
  }

  private isEngine(specifier: string): boolean {
    return specifier === ENGINE_PACKAGE || specifier.startsWith(`${ENGINE_PACKAGE}/`);
  }
}

function asNamespace(exports: unknown): Namespace {
  if (typeof exports === "object" && exports !== null && (exports as Namespace).__esModule) return exports as Namespace;
  if ((typeof exports === "object" || typeof exports === "function") && exports !== null) {
    return Object.assign(Object.create(null), exports, { default: exports });
  }
  return { default: exports };
}
