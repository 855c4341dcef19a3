/** Child processes of the benchmark: started, waited for, and always stopped (also on error and Ctrl-C). */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A started child with the tail of its output kept for error messages. */
export interface Child {
  name: string;
  process: ChildProcess;
  /** Last lines of stdout and stderr. */
  output(): string;
  /** Resolves once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const children = new Set<Child>();

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `command args` with output captured (the last 40 lines are kept). */
export function startChild(
  name: string,
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
    }
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => resolve(code));
    proc.once('error', (err) => {
      lines.push(`spawn failed: ${err.message}`);
      resolve(null);
    });
  });
  const child: Child = {
    name,
    process: proc,
    output: () => lines.join('\n'),
    exited,
    async stop(graceMs = 5000) {
      children.delete(child);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** Stops every child still running, newest first. */
export async function stopAllChildren(): Promise<void> {
  for (const child of [...children].reverse()) await child.stop();
}

// Whatever happens, no child outlives the benchmark.
process.on('exit', () => {
  for (const child of children) child.process.kill('SIGKILL');
});

async function waitUntil(
  what: string,
  child: Child,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited before ${what}:\n${child.output()}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${child.name}: no ${what} within ${timeoutMs} ms:\n${child.output()}`);
    await sleep(50);
  }
}

/** Waits until `child` accepts TCP connections on `port`. */
export function waitForPort(child: Child, port: number, timeoutMs = 15_000): Promise<void> {
  return waitUntil(`listening on ${port}`, child, timeoutMs, () => canConnect(port));
}

/** Waits until `GET url` answers `status`. */
export function waitForHttp(child: Child, url: string, status = 200, timeoutMs = 20_000): Promise<void> {
  return waitUntil(
    `${url} == ${status}`,
    child,
    timeoutMs,
    async () => (await httpGet(url)).status === status,
  );
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A plain GET without keep-alive. */
export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}
