/**
 * Browser tests: Debian's headless Chromium (`chromium`, installed by .ci/run) driven by
 * playwright-core (no browser download), and `asynq web` started as a subprocess of the built CLI
 * (bin/run.js) on a free port. `watchPage` records what hostile data must never cause: dialogs,
 * page errors, console lines with a marker, and Content-Security-Policy violations.
 */
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {existsSync} from 'node:fs';
import {chromium, type Browser, type Page} from 'playwright-core';
import {BIN, ROOT, cliEnv, ensureBuilt} from './cli.js';

/** The Chromium binary: CHROMIUM_PATH, else `chromium` (Debian) or `chromium-browser` on PATH. */
function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'});
    const p = r.stdout.trim();
    if (r.status === 0 && p !== '' && existsSync(p)) return p;
  }
  throw new Error(
    'no Chromium found: install Debian\'s "chromium" package (apt-get install chromium) or set CHROMIUM_PATH',
  );
}

/** One headless browser for a test file (Chromium on a shared 2-core machine is slow: one is plenty). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    timeout: 60_000,
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--lang=en-US'],
  });
}

export interface WebServer {
  /** The dashboard's URL, with its base path and a trailing slash. */
  url: string;
  /** Everything the process wrote to stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/** Starts `asynq web --port 0 ...args` against `redisUrl`; resolves with its URL once it serves. */
export function startWeb(redisUrl: string, args: string[] = [], env: Record<string, string> = {}): Promise<WebServer> {
  // lib/ may be being rebuilt by another test file (stale sources): wait for that build.
  ensureBuilt();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'web', '--port', '0', ...args], {
    cwd: ROOT,
    env: cliEnv({ASYNQ_REDIS_URL: redisUrl, TZ: 'UTC', ...env}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`asynq web did not start within 30 s:\n${out}${err}`));
    }, 30_000);
    const onData = (): void => {
      const m = /Serving the dashboard at (\S+?\/) /.exec(err + out);
      if (m === null) return;
      clearTimeout(timer);
      resolve({url: m[1]!, log: () => err, stop});
    };
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      onData();
    });
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString('utf8');
      onData();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`asynq web exited with ${code} before serving:\n${out}${err}`));
    });
  });
}

export interface PageWatch {
  dialogs: string[];
  errors: string[];
  console: string[];
  /** CSP violations reported by the page (`securitypolicyviolation` events), as `directive blocked-uri`. */
  csp(): Promise<string[]>;
}

/**
 * Records dialogs (and dismisses them), uncaught page errors and console messages; installs a
 * listener for CSP violations in every document the page loads.
 */
export async function watchPage(page: Page): Promise<PageWatch> {
  const w = {dialogs: [] as string[], errors: [] as string[], console: [] as string[]};
  page.on('dialog', (d) => {
    w.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss().catch(() => {});
  });
  page.on('pageerror', (e) => w.errors.push(String(e)));
  page.on('console', (m) => w.console.push(`${m.type()}: ${m.text()}`));
  await page.addInitScript(() => {
    const list: string[] = [];
    (window as unknown as {__csp: string[]}).__csp = list;
    document.addEventListener('securitypolicyviolation', (e) => list.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  return {...w, csp: () => page.evaluate(() => (window as unknown as {__csp?: string[]}).__csp ?? [])};
}
