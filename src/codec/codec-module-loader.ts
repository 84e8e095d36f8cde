import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CodecError } from "../errors.js";

/**
 * The parts of an Emscripten module (built by scripts/build-codecs.mjs) that rtcpipe uses:
 * heap views and malloc/free. `HEAP*` are replaced by the glue when memory grows, so read
 * them from the module after every call that may allocate; never keep a view across calls.
 * @internal
 */
export interface EmscriptenModuleBase {
  readonly HEAPU8: Uint8Array;
  readonly HEAP16: Int16Array;
  readonly HEAP32: Int32Array;
  _malloc(size: number): number;
  _free(ptr: number): void;
}

type ModuleFactory = (overrides: { wasmBinary: Uint8Array }) => Promise<unknown>;

/** Where build/codecs is: $RTCPIPE_CODECS_DIR, else the nearest ancestor holding build/codecs. */
function findCodecsDir(): string | undefined {
  const env = process.env.RTCPIPE_CODECS_DIR;
  if (env) return env;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = path.join(dir, "build", "codecs");
    if (fs.existsSync(path.join(candidate, "manifest.json"))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/**
 * Loads `build/codecs/<name>.mjs` + `.wasm` once; the wasm bytes are read here and handed to
 * the glue as `wasmBinary` (so nothing is fetched). @internal
 */
export async function loadEmscriptenModule<T>(name: "vpx" | "opus", what: string): Promise<T> {
  const dir = findCodecsDir();
  const js = dir ? path.join(dir, `${name}.mjs`) : undefined;
  const wasm = dir ? path.join(dir, `${name}.wasm`) : undefined;
  if (!js || !wasm || !fs.existsSync(js) || !fs.existsSync(wasm)) {
    throw new CodecError(
      `Cannot load the ${what} codec: build/codecs/${name}.mjs and ${name}.wasm are missing; ` +
        "run `npm run build:codecs` (or set RTCPIPE_CODECS_DIR to a folder holding them)",
    );
  }
  const bytes = new Uint8Array(fs.readFileSync(wasm));
  const imported = (await import(pathToFileURL(js).href)) as { default: ModuleFactory };
  try {
    return (await imported.default({ wasmBinary: bytes })) as T;
  } catch (e) {
    throw new CodecError(`Cannot load the ${what} codec from ${wasm}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Reads a NUL-terminated C string from the module's heap. @internal */
export function readCString(mod: EmscriptenModuleBase, ptr: number): string {
  const heap = mod.HEAPU8;
  let end = ptr;
  while (end < heap.length && heap[end] !== 0) end++;
  return new TextDecoder().decode(heap.subarray(ptr, end));
}
