// web.ts: runs a framework app fixture (test/fixtures/web) in a subprocess under the greenstack CLI or node -r greenstack/patch, on a port 0 loopback server.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');
export const webFixtures = path.join(root, 'test', 'fixtures', 'web');

/** How the app is started: the CLI, the preload, or plain node (a baseline). */
export type Mode = 'cli' | 'preload' | 'node';

export function commandFor(mode: Mode, app: string): string[] {
  const file = path.join(webFixtures, app);
  if (mode === 'cli') return [path.join(root, 'bin', 'greenstack.js'), file];
  if (mode === 'preload') return ['-r', path.join(root, 'dist', 'patch', 'patch.js'), file];
  return [file];
}

export interface RunningApp {
  url: string;
  child: ChildProcess;
  /** What the app wrote to stderr so far (for assertion messages). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts the app and resolves once it prints "listening <port>". */
export function startApp(mode: Mode, app: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const child = spawn(process.execPath, commandFor(mode, app), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (m === null) return;
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      resolve({
        url: `http://127.0.0.1:${m[1]}`,
        child,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
    child.on('exit', (code, signal) => reject(new Error(`${app} (${mode}) exited (${code ?? signal}) before listening:\n${out}\n${err}`)));
  });
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no keep-alive, so nothing is left open). */
export function request(url: string, options: { method?: string; json?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const req = http.request(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      agent: false,
      headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends `n` requests at once and returns the peak number of handlers the app saw
 * inside their blocking call at the same time (the app's own count, read from /stats).
 */
export async function overlap(app: RunningApp, n: number, route: string, json?: unknown): Promise<{ peak: number; replies: Reply[] }> {
  await request(`${app.url}/stats?reset=1`);
  const replies = await Promise.all(Array.from({ length: n }, () => request(`${app.url}${route}`, json === undefined ? {} : { json })));
  const { peak } = JSON.parse((await request(`${app.url}/stats?reset=1`)).body) as { peak: number };
  return { peak, replies };
}
