/**
 * Handlers for `asynq worker run`: the type-pattern router shared by `--exec` and handler maps,
 * and the loader of `--handlers ./handlers.js|.mjs|.cjs|.ts`.
 *
 * A handlers module's default export is one of:
 * - a ServeMux (or any object with a `processTask(task, ctx)` method: a Handler);
 * - a function `(task, ctx) => …` (a HandlerFunc, called for every task);
 * - an object mapping type patterns to functions or Handlers:
 *   `export default {'email:welcome': async (task) => …, 'image:*': resize}` (patterns as below).
 *
 * TypeScript modules (.ts, .mts, .cts) are imported directly when the runtime can (Node ≥ 22.6
 * with type stripping), otherwise through `tsx` when the project has it installed (resolved from
 * the module's own directory); on plain Node 20 without tsx the error says how to proceed
 * (compile it, or install tsx). asynq-ts itself adds no TypeScript loader.
 *
 * `import … from 'asynq-ts'` in a handlers module always resolves to the package of the running
 * CLI (a module resolution hook, registerSelfResolution), wherever the module lives: one outside
 * any project, with asynq-ts installed globally or run from a clone, works, and its ServeMux,
 * SkipRetry, … are the CLI's own classes (a second copy of asynq-ts would break `instanceof`).
 */
import {existsSync, statSync} from 'node:fs';
import * as nodeModule from 'node:module';
import {createRequire} from 'node:module';
import {extname, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {ValidationError, errorMessage} from '../../lib/errors.js';
import {toHandler, type Handler, type HandlerFunc, type TaskContext} from '../../lib/handler.js';
import {HandlerNotFoundError} from '../../lib/errors.js';
import type {Task} from '../../lib/task.js';

/**
 * A task type pattern, as `--exec` and handler maps write it:
 * - `email:welcome` matches exactly that type;
 * - a pattern ending with `*` matches every type starting with what comes before it
 *   (`email:*` → `email:welcome`, `email:reminder`; `*` alone matches everything);
 * - a pattern ending with `:` is a prefix too (`email:` = `email:*`).
 * A `*` anywhere else is rejected.
 */
export interface TypePattern {
  /** As written. */
  pattern: string;
  kind: 'exact' | 'prefix';
  /** The exact type, or the prefix. */
  value: string;
}

export function parseTypePattern(pattern: string): TypePattern {
  if (typeof pattern !== 'string' || pattern.trim() === '')
    throw new ValidationError('a task type pattern cannot be empty');
  const star = pattern.indexOf('*');
  if (star >= 0 && star !== pattern.length - 1) {
    throw new ValidationError(`task type pattern ${JSON.stringify(pattern)}: '*' may only come at the end`);
  }
  if (star >= 0) return {pattern, kind: 'prefix', value: pattern.slice(0, -1)};
  if (pattern.endsWith(':')) return {pattern, kind: 'prefix', value: pattern};
  return {pattern, kind: 'exact', value: pattern};
}

/**
 * Routes tasks by type pattern: an exact pattern wins, then the longest matching prefix; a type
 * that matches nothing goes to the fallback handler, or fails with HandlerNotFoundError.
 * Registering the same exact type or the same prefix twice throws ValidationError.
 */
export class TypeRouter implements Handler {
  readonly #exact = new Map<string, Handler>();
  #prefixes: Array<{prefix: string; handler: Handler}> = [];
  readonly #fallback?: Handler;

  constructor(fallback?: Handler | HandlerFunc) {
    if (fallback !== undefined) this.#fallback = toHandler(fallback);
  }

  add(pattern: string, handler: Handler | HandlerFunc): this {
    const p = parseTypePattern(pattern);
    let h: Handler;
    try {
      h = toHandler(handler);
    } catch {
      throw new ValidationError(
        `the handler for ${JSON.stringify(pattern)} must be a function or an object with processTask()`,
      );
    }
    const taken = p.kind === 'exact' ? this.#exact.has(p.value) : this.#prefixes.some((e) => e.prefix === p.value);
    if (taken) throw new ValidationError(`task type pattern ${JSON.stringify(pattern)} is registered twice`);
    if (p.kind === 'exact') this.#exact.set(p.value, h);
    else
      this.#prefixes = [...this.#prefixes, {prefix: p.value, handler: h}].sort(
        (a, b) => b.prefix.length - a.prefix.length,
      );
    return this;
  }

  /** The handler for a type: the routed one, else the fallback, else undefined. */
  route(taskType: string): Handler | undefined {
    return (
      this.#exact.get(taskType) ?? this.#prefixes.find((e) => taskType.startsWith(e.prefix))?.handler ?? this.#fallback
    );
  }

  async processTask(task: Task, ctx: TaskContext): Promise<void> {
    const h = this.route(task.type);
    if (!h) throw new HandlerNotFoundError(task.type);
    await h.processTask(task, ctx);
  }
}

/** What a handlers module's default export turned out to be. */
type HandlerModuleKind = 'handler' | 'function' | 'map';

export interface LoadedHandlerModule {
  /** Absolute path of the module. */
  path: string;
  kind: HandlerModuleKind;
  handler: Handler;
  /** The patterns of a map export, in the module's order. */
  patterns: string[];
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** Can this Node import TypeScript by itself (type stripping, Node ≥ 22.6)? */
function runtimeStripsTypes(): boolean {
  return Boolean((process.features as {typescript?: unknown}).typescript);
}

async function importTypeScript(path: string): Promise<unknown> {
  if (runtimeStripsTypes()) return import(pathToFileURL(path).href);
  let api: string;
  try {
    api = createRequire(path).resolve('tsx/esm/api');
  } catch {
    throw new ValidationError(
      `cannot load ${path}: Node ${process.versions.node} cannot import TypeScript by itself. ` +
        'Compile it to JavaScript (e.g. npx tsc) and pass the .js file, or install tsx in your project (npm i -D tsx), or use Node >= 22.6',
    );
  }
  const {tsImport} = (await import(pathToFileURL(api).href)) as {
    tsImport: (specifier: string, parentURL: string) => Promise<unknown>;
  };
  return tsImport(pathToFileURL(path).href, import.meta.url);
}

/** The package name a handlers module imports the library by. */
const PACKAGE_NAME = 'asynq-ts';

/**
 * The loader hooks of registerSelfResolution (they run on Node's loader thread, so they are
 * their own module): the bare specifier `asynq-ts` resolves to the URL given at registration.
 */
const SELF_RESOLVE_HOOKS = `
let target;
export function initialize(data) { target = data.url; }
export async function resolve(specifier, context, next) {
  if (specifier === ${JSON.stringify(PACKAGE_NAME)}) return {url: target, format: 'module', shortCircuit: true};
  return next(specifier, context);
}`;

let selfResolution: 'registered' | 'unavailable' | undefined;

/**
 * Makes `import … from 'asynq-ts'` resolve to this package's entry point (lib/lib/index.js, the
 * one the CLI itself runs), with `module.register()` (Node ≥ 20.6). Once per process; does nothing
 * when the entry point is not built (running from src/ under a test runner) or the Node has no
 * module.register (then the normal resolution applies).
 */
function registerSelfResolution(): void {
  if (selfResolution !== undefined) return;
  const entry = new URL('../../lib/index.js', import.meta.url);
  const register = (nodeModule as {register?: (specifier: string, options: {data: unknown}) => void}).register;
  if (register === undefined || entry.protocol !== 'file:' || !existsSync(fileURLToPath(entry))) {
    selfResolution = 'unavailable';
    return;
  }
  register(`data:text/javascript,${encodeURIComponent(SELF_RESOLVE_HOOKS)}`, {data: {url: entry.href}});
  selfResolution = 'registered';
}

function isHandlerObject(v: unknown): v is Handler {
  return typeof v === 'object' && v !== null && typeof (v as Handler).processTask === 'function';
}

/** Interprets a module's default export (see the module comment). */
export function handlerFromExport(value: unknown, what = 'the default export'): Omit<LoadedHandlerModule, 'path'> {
  if (isHandlerObject(value)) return {kind: 'handler', handler: value, patterns: []};
  if (typeof value === 'function') return {kind: 'function', handler: toHandler(value as HandlerFunc), patterns: []};
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.length === 0) throw new ValidationError(`${what} maps no task types to handlers`);
    const router = new TypeRouter();
    for (const [pattern, h] of entries) {
      if (typeof h !== 'function' && !isHandlerObject(h)) {
        throw new ValidationError(
          `${what}: the handler for ${JSON.stringify(pattern)} must be a function or an object with processTask()`,
        );
      }
      router.add(pattern, h);
    }
    return {kind: 'map', handler: router, patterns: entries.map(([p]) => p)};
  }
  throw new ValidationError(
    `${what} must be a ServeMux, a Handler, a function (task, ctx) => …, or an object mapping task types to functions; got ${value === null ? 'null' : typeof value}`,
  );
}

/**
 * Imports a handlers module (path relative to `cwd`) and returns its handler. Throws
 * ValidationError when the file is missing, cannot be imported (with the module's own error), or
 * has no usable default export.
 */
export async function loadHandlerModule(file: string, opts: {cwd?: string} = {}): Promise<LoadedHandlerModule> {
  const path = resolve(opts.cwd ?? process.cwd(), file);
  if (!existsSync(path) || !statSync(path).isFile())
    throw new ValidationError(`handlers module ${file} does not exist`);
  registerSelfResolution();
  let mod: {default?: unknown};
  try {
    mod = (await (TS_EXTENSIONS.has(extname(path)) ? importTypeScript(path) : import(pathToFileURL(path).href))) as {
      default?: unknown;
    };
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`cannot load handlers module ${file}: ${errorMessage(err)}`, {cause: err});
  }
  // tsImport of a CommonJS-style module nests the exports one level deeper.
  let exported = mod.default;
  if (exported === undefined) {
    throw new ValidationError(
      `handlers module ${file} has no default export (export default a ServeMux, a handler function or a map of task types)`,
    );
  }
  if (typeof exported === 'object' && exported !== null && '__esModule' in exported && 'default' in exported) {
    exported = (exported as {default: unknown}).default;
  }
  return {path, ...handlerFromExport(exported, `the default export of ${file}`)};
}
