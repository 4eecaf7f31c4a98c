// Loads Prisma's schema engine from the WebAssembly build that the `prisma` CLI package
// ships (node_modules/prisma/build/schema_engine_bg.wasm). The CLI itself (7.10) only runs
// the native schema-engine binary, which cannot be downloaded offline, and the npm package
// with the wasm's JavaScript bindings (@prisma/schema-engine-wasm) is not installed, so this
// file provides those bindings: the imports a wasm-bindgen module expects, matched by name
// (the hash suffix wasm-bindgen appends is ignored). Dev tooling only; never loaded by the hub.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

type Fn = (...args: never[]) => unknown;
type AnyFn = (...args: unknown[]) => unknown;

interface WasmModuleApi {
  Module: { new (bytes: Uint8Array): object; imports(module: object): { module: string; name: string }[] };
  Instance: new (module: object, imports: Record<string, Record<string, Fn>>) => { exports: Record<string, unknown> };
}
interface Table {
  get(index: number): unknown;
  set(index: number, value: unknown): void;
  grow(delta: number): number;
}
interface Exports {
  memory: { buffer: ArrayBuffer };
  __wbindgen_externrefs: Table;
  __wbindgen_malloc(size: number, align: number): number;
  __wbindgen_exn_store(index: number): void;
  __externref_table_alloc(): number;
  __wbindgen_start(): void;
  __wbg_schemaengine_free(ptr: number, flag: number): void;
  schemaengine_new(options: unknown, callback: unknown, adapter: unknown): Promise<WasmSchemaEngine>;
  [name: string]: unknown;
}

/** The engine object wasm-bindgen hands out: methods take and return plain JS values. */
export interface WasmSchemaEngine {
  __wbg_ptr: number;
  call(method: string, input: unknown): Promise<unknown>;
  free(): void;
}

export interface SchemaEngineModule {
  newEngine(options: { datamodels: [string, string][] }, log: (line: string) => void, adapter: object): Promise<WasmSchemaEngine>;
}

const WA = (globalThis as unknown as { WebAssembly: WasmModuleApi }).WebAssembly;

export function loadSchemaEngineWasm(wasmPath?: string): SchemaEngineModule {
  const require = createRequire(import.meta.url);
  const file = wasmPath ?? path.join(path.dirname(require.resolve('prisma/package.json')), 'build/schema_engine_bg.wasm');
  const instance: { exports?: Exports } = {};
  const wasm = (): Exports => {
    if (!instance.exports) throw new Error('schema engine wasm not initialised');
    return instance.exports;
  };
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
  const encoder = new TextEncoder();
  let stashedLength = 0;
  const memory = () => new Uint8Array(wasm().memory.buffer);
  const view = () => new DataView(wasm().memory.buffer);
  const bytes = (ptr: number, len: number) => memory().subarray(ptr >>> 0, (ptr >>> 0) + len);
  const str = (ptr: number, len: number) => decoder.decode(bytes(ptr, len));
  const passString = (s: string): number => {
    const buf = encoder.encode(s);
    const ptr = wasm().__wbindgen_malloc(buf.length, 1) >>> 0;
    memory().set(buf, ptr);
    stashedLength = buf.length;
    return ptr;
  };
  const writeString = (at: number, s: string | undefined) => {
    const ptr = s === undefined ? 0 : passString(s);
    view().setInt32(at + 4, s === undefined ? 0 : stashedLength, true);
    view().setInt32(at, ptr, true);
  };
  const addRef = (value: unknown): number => {
    const index = wasm().__externref_table_alloc();
    wasm().__wbindgen_externrefs.set(index, value);
    return index;
  };
  const catching =
    (f: AnyFn): AnyFn =>
    (...args) => {
      try {
        return f(...args);
      } catch (err) {
        wasm().__wbindgen_exn_store(addRef(err));
        return undefined;
      }
    };
  const exportFn = (pattern: RegExp): AnyFn => {
    const name = Object.keys(wasm()).find((n) => pattern.test(n));
    if (!name) throw new Error(`schema engine wasm has no export matching ${pattern}`);
    return wasm()[name] as AnyFn;
  };
  const invoke1 = (a: number, b: number, x: unknown) => exportFn(/closures_____invoke___\w*JsValue_____$/)(a, b, x);
  const invoke2 = (a: number, b: number, x: unknown, y: unknown) => exportFn(/closures_____invoke___\w*JsValue__\w*JsValue_____$/)(a, b, x, y);

  interface ClosureState { a: number; b: number; cnt: number; dtor: AnyFn }
  const closureDtors = new FinalizationRegistry<ClosureState>((s) => s.dtor(s.a, s.b));
  const makeMutClosure = (a0: number, a1: number, dtor: AnyFn, f: AnyFn) => {
    const state: ClosureState = { a: a0, b: a1, cnt: 1, dtor };
    const unref = () => {
      if (--state.cnt === 0) {
        state.dtor(state.a, state.b);
        state.a = 0;
        closureDtors.unregister(state);
      }
    };
    const real = Object.assign(
      (...args: unknown[]) => {
        state.cnt++;
        const a = state.a;
        state.a = 0;
        try {
          return f(a, state.b, ...args);
        } finally {
          state.a = a;
          unref();
        }
      },
      { _wbg_cb_unref: unref },
    );
    closureDtors.register(real, state, state);
    return real;
  };

  const engineProto = {
    __wbg_ptr: 0,
    call(this: WasmSchemaEngine, method: string, input: unknown): Promise<unknown> {
      return (wasm()[`schemaengine_${method}`] as AnyFn)(this.__wbg_ptr, input) as Promise<unknown>;
    },
    free(this: WasmSchemaEngine) {
      const ptr = this.__wbg_ptr;
      this.__wbg_ptr = 0;
      if (ptr) wasm().__wbg_schemaengine_free(ptr, 0);
    },
  };
  const panics = globalThis as unknown as { PRISMA_WASM_PANIC_REGISTRY?: { set_message(m: string): void } };
  panics.PRISMA_WASM_PANIC_REGISTRY ??= { set_message: () => undefined };

  type O = Record<string | symbol, unknown>;
  // Keyed by the import's name without wasm-bindgen's `_<16 hex>` suffix; where one name
  // has two meanings, the full name (with suffix) disambiguates.
  const imports: Record<string, Fn> = {
    __wbg_isArray: (v: unknown) => Array.isArray(v),
    __wbg_length: (v: { length: number }) => v.length,
    __wbg_set_3f1d0b984ed272ed: (o: O, k: string, v: unknown) => { o[k] = v; },
    __wbg_set_c213c871859d6500: (o: unknown[], i: number, v: unknown) => { o[i >>> 0] = v; },
    __wbg_set_907fb406c34a251d: (m: Map<unknown, unknown>, k: unknown, v: unknown) => m.set(k, v),
    __wbg_set_c2abbebe8b9ebee1: catching((o, k, v) => Reflect.set(o as object, k as PropertyKey, v)),
    __wbg_new_e17d9f43105b08be: () => [],
    __wbg_new_1acc0b6eea89d040: () => ({}),
    __wbg_new_68651c719dcda04e: () => new Map(),
    __wbg_new_3c3d849046688a66: (a0: number, a1: number) => {
      const s = { a: a0, b: a1 };
      try {
        return new Promise((resolve, reject) => {
          const a = s.a;
          s.a = 0;
          try {
            invoke2(a, s.b, resolve, reject);
          } finally {
            s.a = a;
          }
        });
      } finally {
        s.a = s.b = 0;
      }
    },
    __wbg_new_23fa8b12a239f036: (a: number, b: number, c: number, d: number) => new RegExp(str(a, b), str(c, d)),
    __wbg_new_a7442b4b19c1a356: (p: number, l: number) => new Error(str(p, l)),
    __wbg_new_5a79be3ab53b8aa5: (v: ArrayBuffer) => new Uint8Array(v),
    __wbg_new_0: () => new Date(),
    __wbg_new_from_slice: (p: number, l: number) => new Uint8Array(bytes(p, l)),
    __wbg_new_with_length: (n: number) => new Uint8Array(n >>> 0),
    __wbg_new_no_args: (p: number, l: number) => new Function(str(p, l)),
    __wbg_Error: (p: number, l: number) => new Error(str(p, l)),
    __wbg___wbindgen_is_object: (v: unknown) => typeof v === 'object' && v !== null,
    __wbg___wbindgen_is_undefined: (v: unknown) => v === undefined,
    __wbg___wbindgen_is_bigint: (v: unknown) => typeof v === 'bigint',
    __wbg___wbindgen_is_string: (v: unknown) => typeof v === 'string',
    __wbg___wbindgen_is_function: (v: unknown) => typeof v === 'function',
    __wbg___wbindgen_in: (k: PropertyKey, o: object) => k in o,
    __wbg___wbindgen_jsval_loose_eq: (a: unknown, b: unknown) => a == b,
    __wbg___wbindgen_jsval_eq: (a: unknown, b: unknown) => a === b,
    __wbg___wbindgen_boolean_get: (v: unknown) => (typeof v === 'boolean' ? (v ? 1 : 0) : 0xffffff),
    __wbg___wbindgen_number_get: (at: number, v: unknown) => {
      view().setFloat64(at + 8, typeof v === 'number' ? v : 0, true);
      view().setInt32(at, typeof v === 'number' ? 1 : 0, true);
    },
    __wbg___wbindgen_bigint_get_as_i64: (at: number, v: unknown) => {
      view().setBigInt64(at + 8, typeof v === 'bigint' ? v : 0n, true);
      view().setInt32(at, typeof v === 'bigint' ? 1 : 0, true);
    },
    __wbg___wbindgen_string_get: (at: number, v: unknown) => writeString(at, typeof v === 'string' ? v : undefined),
    __wbg___wbindgen_debug_string: (at: number, v: unknown) => writeString(at, debugString(v)),
    __wbg___wbindgen_throw: (p: number, l: number) => {
      throw new Error(str(p, l));
    },
    __wbg_String: (at: number, v: unknown) => writeString(at, String(v)),
    __wbg_Number: (v: unknown) => Number(v),
    __wbg_isSafeInteger: (v: unknown) => Number.isSafeInteger(v),
    __wbg_get_with_ref_key: (o: O, k: PropertyKey) => o[k],
    __wbg_get_7bed016f185add81: (o: unknown[], i: number) => o[i >>> 0],
    __wbg_get_ece95cf6585650d9: catching((o, k) => (o as O)[k as PropertyKey]),
    __wbg_get_efcb449f58ec27c2: catching((o, k) => Reflect.get(o as object, k as PropertyKey)),
    __wbg_has: catching((o, k) => Reflect.has(o as object, k as PropertyKey)),
    __wbg_iterator: () => Symbol.iterator,
    __wbg_next_2c826fe5dfec6b6a: (o: { next: unknown }) => o.next,
    __wbg_next_020810e0ae8ebcb0: catching((o) => (o as { next(): unknown }).next()),
    __wbg_done: (o: { done: boolean }) => o.done,
    __wbg_value: (o: { value: unknown }) => o.value,
    __wbg_entries: (o: object) => Object.entries(o),
    __wbg_push: (a: unknown[], v: unknown) => a.push(v),
    __wbg_valueOf: (v: { valueOf(): unknown }) => v.valueOf(),
    __wbg_instanceof_Map: (v: unknown) => v instanceof Map,
    __wbg_instanceof_Promise: (v: unknown) => v instanceof Promise,
    __wbg_instanceof_Uint8Array: (v: unknown) => v instanceof Uint8Array,
    __wbg_instanceof_ArrayBuffer: (v: unknown) => v instanceof ArrayBuffer,
    __wbg_set_message: (p: number, l: number) => panics.PRISMA_WASM_PANIC_REGISTRY?.set_message(str(p, l)),
    __wbg_set_name: (o: { name: string }, p: number, l: number) => { o.name = str(p, l); },
    __wbg_schemaengine_new: (ptr: number) => Object.assign(Object.create(engineProto) as WasmSchemaEngine, { __wbg_ptr: ptr >>> 0 }),
    __wbg_getTime: (d: Date) => d.getTime(),
    __wbg_now_793306c526e2e3b6: () => Date.now(),
    __wbg_now_7fd00a794a07d388: (o: { now(): number }) => o.now(),
    __wbg_exec: (re: RegExp, p: number, l: number) => {
      const m = re.exec(str(p, l));
      return m === null ? 0 : addRef(m);
    },
    __wbg_crypto: (o: O) => o.crypto,
    __wbg_msCrypto: (o: O) => o.msCrypto,
    __wbg_process: (o: O) => o.process,
    __wbg_versions: (o: O) => o.versions,
    __wbg_node: (o: O) => o.node,
    __wbg_require: catching(() => require),
    __wbg_call_e762c39fa8ea36bf: catching((f, self) => (f as AnyFn).call(self)),
    __wbg_call_525440f72fbfc0ea: catching((f, self, x) => (f as AnyFn).call(self, x)),
    __wbg_static_accessor_GLOBAL: () => addRef(globalThis),
    __wbg_static_accessor_GLOBAL_THIS: () => addRef(globalThis),
    __wbg_static_accessor_WINDOW: () => 0,
    __wbg_static_accessor_SELF: () => 0,
    __wbg_prototypesetcall: (p: number, l: number, src: Uint8Array) => bytes(p, l).set(src),
    __wbg_subarray: (a: Uint8Array, s: number, e: number) => a.subarray(s >>> 0, e >>> 0),
    __wbg_randomFillSync: catching((c, buf) => (c as { randomFillSync(b: unknown): void }).randomFillSync(buf)),
    __wbg_getRandomValues: catching((c, buf) => (c as { getRandomValues(b: unknown): void }).getRandomValues(buf)),
    __wbg_setTimeout: (f: () => void, ms: number) => Number(setTimeout(f, ms >>> 0)),
    __wbg__wbg_cb_unref: (f: { _wbg_cb_unref(): void }) => f._wbg_cb_unref(),
    __wbg_then_4f46f6544e6b4a28: (p: Promise<unknown>, f: AnyFn) => p.then(f),
    __wbg_then_70d05cf780a18d77: (p: Promise<unknown>, f: AnyFn, g: AnyFn) => p.then(f, g),
    __wbg_resolve: (v: unknown) => Promise.resolve(v),
    __wbg_queueMicrotask_6d79674585219521: (f: () => void) => queueMicrotask(f),
    __wbg_queueMicrotask_5a8a9131f3f0b37b: (o: O) => o.queueMicrotask,
    __wbindgen_init_externref_table: () => {
      const table = wasm().__wbindgen_externrefs;
      const offset = table.grow(4);
      table.set(0, undefined);
      [undefined, null, true, false].forEach((v, i) => table.set(offset + i, v));
    },
    // Casts: &[u8] -> Uint8Array view, FnMut(JsValue) closure, i64, f64, &str, u64.
    __wbindgen_cast_cb9088102bce6b30: (p: number, l: number) => bytes(p, l),
    __wbindgen_cast_a9993887db3ced61: (a: number, b: number) => makeMutClosure(a, b, exportFn(/closure__destroy/), invoke1 as AnyFn),
    __wbindgen_cast_9ae0607507abb057: (v: bigint) => v,
    __wbindgen_cast_d6cd19b81560fd6e: (v: number) => v,
    __wbindgen_cast_2241b6af4c4b2941: (p: number, l: number) => str(p, l),
    __wbindgen_cast_4625c577ab2ec9ee: (v: bigint) => BigInt.asUintN(64, v),
  };

  const module = new WA.Module(readFileSync(file));
  const table: Record<string, Record<string, Fn>> = {};
  const unmapped: string[] = [];
  for (const imp of WA.Module.imports(module)) {
    const fn = imports[imp.name] ?? imports[imp.name.replace(/_[0-9a-f]{16}$/, '')];
    if (fn) (table[imp.module] ??= {})[imp.name] = fn;
    else unmapped.push(imp.name);
  }
  if (unmapped.length > 0) {
    throw new Error(`${file}: wasm imports this loader does not know (was prisma upgraded?): ${unmapped.join(', ')}`);
  }
  instance.exports = new WA.Instance(module, table).exports as unknown as Exports;
  wasm().__wbindgen_start();
  return {
    newEngine: (options, log, adapter) => wasm().schemaengine_new(options, log, adapter),
  };
}

function debugString(v: unknown): string {
  if (typeof v === 'string') return `"${v}"`;
  if (v instanceof Error) return `${v.name}: ${v.message}\n${v.stack ?? ''}`;
  if (typeof v === 'object' && v !== null) {
    try {
      return `Object(${JSON.stringify(v)})`;
    } catch {
      return 'Object';
    }
  }
  return String(v);
}
