/**
 * Type patterns, TypeRouter, and loading `--handlers` modules (test/fixtures/handlers): maps,
 * functions, Handler objects (ESM and CommonJS), ServeMux, TypeScript (through a tsx installed in
 * the project, or a clear error on plain Node 20), and every way a module can be wrong.
 */
import {copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {afterEach, describe, expect, it} from 'vitest';
import {HandlerNotFoundError, ValidationError} from '../../../src/lib/errors.js';
import type {TaskContext} from '../../../src/lib/handler.js';
import {
  handlerFromExport,
  loadHandlerModule,
  parseTypePattern,
  TypeRouter,
} from '../../../src/cli/worker/handler-module.js';
import {ServeMux} from '../../../src/lib/servemux.js';
import {Task} from '../../../src/lib/task.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', '..', 'fixtures', 'handlers');
const ctx: TaskContext = {
  signal: new AbortController().signal,
  taskId: 't1',
  queue: 'default',
  retryCount: 0,
  maxRetry: 3,
  deadline: new Date(0),
};

/** Runs a handler on a task and returns what it wrote as its result. */
async function resultOf(
  h: {processTask(t: Task, c: TaskContext): unknown},
  type: string,
  payload: unknown = {},
): Promise<string> {
  const task = new Task(type, payload);
  const writes: string[] = [];
  task.resultWriter = {taskId: 't1', write: async (d) => writes.push(Buffer.from(d).toString())};
  await h.processTask(task, ctx);
  return writes.join('');
}

const tmpDirs: string[] = [];
afterEach(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, {recursive: true, force: true});
});

describe('parseTypePattern', () => {
  it.each([
    ['email:welcome', 'exact', 'email:welcome'],
    ['email:*', 'prefix', 'email:'],
    ['email:', 'prefix', 'email:'],
    ['email*', 'prefix', 'email'],
    ['*', 'prefix', ''],
  ])('%j is an %s pattern for %j', (pattern, kind, value) => {
    expect(parseTypePattern(pattern)).toEqual({pattern, kind, value});
  });

  it('rejects empty patterns and a * that is not at the end', () => {
    expect(() => parseTypePattern(' ')).toThrow(ValidationError);
    expect(() => parseTypePattern('email:*:x')).toThrow("'*' may only come at the end");
  });
});

describe('TypeRouter', () => {
  const named = (name: string) => ({processTask: async (t: Task) => t.resultWriter?.write(name)});

  it('prefers an exact pattern, then the longest prefix, then the fallback', async () => {
    const router = new TypeRouter(named('fallback'))
      .add('*', named('star'))
      .add('email:*', named('email'))
      .add('email:vip:', named('vip'))
      .add('email:welcome', named('welcome'));
    expect(await resultOf(router, 'email:welcome')).toBe('welcome');
    expect(await resultOf(router, 'email:welcome2')).toBe('email'); // exact patterns are not prefixes
    expect(await resultOf(router, 'email:vip:gold')).toBe('vip');
    expect(await resultOf(router, 'email:reminder')).toBe('email');
    expect(await resultOf(router, 'sms:x')).toBe('star');
    expect(await resultOf(new TypeRouter(named('fallback')).add('email:', named('email')), 'sms:x')).toBe('fallback');
  });

  it('fails a task no pattern matches with HandlerNotFoundError when there is no fallback', async () => {
    const router = new TypeRouter().add('email:*', named('email'));
    await expect(resultOf(router, 'sms:x')).rejects.toThrow(HandlerNotFoundError);
    await expect(resultOf(router, 'email')).rejects.toThrow('handler not found for task "email"');
  });

  it('rejects a pattern registered twice (also when spelled differently) and a handler that is not one', () => {
    const router = new TypeRouter().add('email:*', named('a')).add('x', named('x'));
    expect(() => router.add('email:', named('b'))).toThrow('registered twice');
    expect(() => router.add('x', named('b'))).toThrow('registered twice');
    expect(() => router.add('y', 'nope' as never)).toThrow(ValidationError);
  });
});

describe('handlerFromExport', () => {
  it('takes a ServeMux (or any Handler) as it is', async () => {
    const mux = new ServeMux().handleFunc('a:', async (t) => void (await t.resultWriter?.write('mux')));
    const got = handlerFromExport(mux);
    expect(got).toMatchObject({kind: 'handler', patterns: []});
    expect(got.handler).toBe(mux);
    expect(await resultOf(got.handler, 'a:b')).toBe('mux');
  });

  it.each([
    [null, 'null'],
    [42, 'number'],
    ['x', 'string'],
    [[() => {}], 'object'],
  ])('rejects %j', (value, got) => {
    expect(() => handlerFromExport(value)).toThrow(
      `must be a ServeMux, a Handler, a function (task, ctx) => …, or an object mapping task types to functions; got ${got}`,
    );
  });

  it('rejects an empty map', () => {
    expect(() => handlerFromExport({})).toThrow('maps no task types to handlers');
  });
});

describe('loadHandlerModule', () => {
  it('loads a map of patterns to functions (relative to cwd) and routes by pattern', async () => {
    const mod = await loadHandlerModule('map.mjs', {cwd: FIXTURES});
    expect(mod).toMatchObject({
      path: join(FIXTURES, 'map.mjs'),
      kind: 'map',
      patterns: ['email:welcome', 'email:*', 'fail:*'],
    });
    expect(await resultOf(mod.handler, 'email:welcome', {user: 'ann'})).toBe('welcome ann');
    expect(await resultOf(mod.handler, 'email:reminder')).toBe('email email:reminder');
    await expect(resultOf(mod.handler, 'fail:now')).rejects.toThrow('handler says no');
    await expect(resultOf(mod.handler, 'other')).rejects.toThrow(HandlerNotFoundError);
  });

  it('loads a function export and a CommonJS Handler object', async () => {
    const fn = await loadHandlerModule(join(FIXTURES, 'function.mjs'));
    expect(fn.kind).toBe('function');
    expect(await resultOf(fn.handler, 'any:type')).toBe('fn any:type t1');
    const cjs = await loadHandlerModule(join(FIXTURES, 'object-handler.cjs'));
    expect(cjs.kind).toBe('handler');
    expect(await resultOf(cjs.handler, 'x')).toBe('cjs x');
  });

  it.each([
    ['missing.mjs', 'handlers module missing.mjs does not exist'],
    ['no-default.mjs', 'handlers module no-default.mjs has no default export'],
    ['throws.mjs', 'cannot load handlers module throws.mjs: boom while loading'],
    ['bad-export.mjs', 'the default export of bad-export.mjs must be a ServeMux'],
    ['bad-map.mjs', 'the default export of bad-map.mjs: the handler for "email:*" must be a function'],
  ])('%s → ValidationError: %s', async (file, message) => {
    const err = await loadHandlerModule(file, {cwd: FIXTURES}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as Error).message).toContain(message);
  });

  it('a directory is not a module', async () => {
    await expect(loadHandlerModule('.', {cwd: FIXTURES})).rejects.toThrow('handlers module . does not exist');
  });

  it.runIf(!(process.features as {typescript?: unknown}).typescript)(
    'a .ts module on a Node without type stripping and without tsx: says to compile it or install tsx',
    async () => {
      const d = mkdtempSync(join(tmpdir(), 'asynq-ts-handlers-'));
      tmpDirs.push(d);
      copyFileSync(join(FIXTURES, 'handlers.ts'), join(d, 'handlers.ts'));
      const err = (await loadHandlerModule(join(d, 'handlers.ts')).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(ValidationError);
      expect(err.message).toContain(`Node ${process.versions.node} cannot import TypeScript by itself`);
      expect(err.message).toContain('npx tsc');
      expect(err.message).toContain('npm i -D tsx');
    },
  );

  it('a .ts module goes through the tsx the project has installed (tsImport from tsx/esm/api)', async () => {
    // A project with its own node_modules/tsx; this stand-in compiles with the TypeScript compiler.
    const d = mkdtempSync(join(tmpdir(), 'asynq-ts-handlers-'));
    tmpDirs.push(d);
    copyFileSync(join(FIXTURES, 'handlers.ts'), join(d, 'handlers.ts'));
    const tsx = join(d, 'node_modules', 'tsx');
    mkdirSync(join(tsx, 'esm'), {recursive: true});
    writeFileSync(
      join(tsx, 'package.json'),
      JSON.stringify({name: 'tsx', type: 'module', exports: {'./esm/api': './esm/api.mjs'}}),
    );
    const typescript = pathToFileURL(createRequire(import.meta.url).resolve('typescript')).href;
    writeFileSync(
      join(tsx, 'esm', 'api.mjs'),
      `
      import {readFileSync, writeFileSync} from 'node:fs';
      import {fileURLToPath, pathToFileURL} from 'node:url';
      import ts from ${JSON.stringify(typescript)};
      export const calls = [];
      export async function tsImport(specifier, parentURL) {
        calls.push([specifier, parentURL]);
        const file = fileURLToPath(specifier);
        const out = ts.transpileModule(readFileSync(file, 'utf8'), {compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022}});
        writeFileSync(file + '.compiled.mjs', out.outputText);
        return import(pathToFileURL(file + '.compiled.mjs').href);
      }`,
    );
    const mod = await loadHandlerModule(join(d, 'handlers.ts'));
    expect(mod).toMatchObject({kind: 'map', patterns: ['math:double']});
    expect(await resultOf(mod.handler, 'math:double', {n: 21})).toBe('42');
    const api = (await import(pathToFileURL(join(tsx, 'esm', 'api.mjs')).href)) as {calls: string[][]};
    expect(api.calls[0]![0]).toBe(pathToFileURL(join(d, 'handlers.ts')).href);
  });
});
