import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../src/app/start-relay';
import { waitFor } from './start-test-relay';

/** `ci-relay start` in a child process, as an operator runs it. */
export interface RelayProcess {
  child: ChildProcess;
  url: string;
  configFile: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<number | string>;
}

/**
 * Runs `src/main.ts start` (through tsx; `--role all` unless `role` says) on `configYaml` in an empty working directory (so
 * no `.env` is read), with `env` added; resolves once it says it is listening.
 */
export async function startRelayProcess(options: {
  configYaml: string;
  port: number;
  env?: NodeJS.ProcessEnv;
  args?: string[];
  /** `--role`, added to the default arguments. @defaultValue all */
  role?: Role;
  /** Resolve at once, without waiting for "listening" (for processes expected to fail). */
  noWait?: boolean;
}): Promise<RelayProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'ci-relay-proc-'));
  const configFile = join(dir, 'relay.yaml');
  writeFileSync(configFile, options.configYaml);
  const main = join(__dirname, '../../src/main.ts');
  const child = spawn(
    process.execPath,
    [
      '-r',
      require.resolve('tsx/cjs'),
      main,
      ...(options.args ?? [
        'start',
        '--config',
        configFile,
        ...(options.role ? ['--role', options.role] : []),
      ]),
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        PORT: String(options.port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  const relay = { child, url: `http://127.0.0.1:${options.port}`, configFile, output: () => output, exited };
  if (!options.noWait) {
    try {
      await waitFor(() => output.includes('[relay] listening') || child.exitCode !== null, 20_000);
    } catch (e) {
      child.kill('SIGKILL');
      throw e;
    }
    if (child.exitCode !== null) throw new Error(`relay exited at start: ${output}`);
  }
  return relay;
}
