import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from './config-error';
import { loadConfig } from './load-config';
import type { RelayConfig } from './relay-config';

/** The config in force, reloaded when its file changes or on SIGHUP; an invalid edit keeps the old one. */
export interface ConfigStore {
  current(): RelayConfig;
  /** Reloads now; resolves true when the new config took effect. */
  reload(): boolean;
  /** Called with each config that takes effect after the first. */
  onChange(listener: (config: RelayConfig) => void | Promise<void>): void;
  close(): void;
}

/**
 * Loads `file` (throws ConfigError when invalid) and keeps it current. `watchFile` false in tests that
 * reload by hand. `env` as a function is called on every load, so a reload sees an edited `.env` just as
 * `check-config` does (see readEnv).
 */
export function createConfigStore(
  file: string,
  deps: {
    log: Logger;
    /** @defaultValue `process.env` */
    env?: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);
    watchFile?: boolean;
    /** Other files whose change reloads the config too (`.env`), watched when `watchFile` is on. */
    alsoWatch?: readonly string[];
    /** Told the result of every reload (the metric `ci_relay_config_reload_total`). */
    onReload?: (ok: boolean) => void;
  },
): ConfigStore {
  const { log, env = process.env, watchFile = true, onReload, alsoWatch = [] } = deps;
  const currentEnv = typeof env === 'function' ? env : () => env;
  let config = loadConfig(file, currentEnv());
  const listeners: Array<(c: RelayConfig) => void | Promise<void>> = [];
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;

  const reload = (): boolean => {
    try {
      config = loadConfig(file, currentEnv());
    } catch (e) {
      const problems = e instanceof ConfigError ? e.problems : [String(e)];
      log.error(
        { file, problems },
        '[config] reload refused: the file is invalid; the previous config stays in force',
      );
      onReload?.(false);
      return false;
    }
    onReload?.(true);
    log.info(
      { file, sources: config.sources.size, sinks: config.sinks.size, routes: config.routes.length },
      '[config] reloaded',
    );
    for (const listener of listeners) {
      Promise.resolve(listener(config)).catch((err: unknown) =>
        log.error({ err }, '[config] applying the reloaded config failed'),
      );
    }
    return true;
  };

  if (watchFile) {
    // Watch each folder, not the file: editors and config-map updates replace a file rather than write it.
    const folders = new Map<string, Set<string>>();
    for (const watched of [file, ...alsoWatch]) {
      const names = folders.get(dirname(watched)) ?? new Set(['..data']);
      folders.set(dirname(watched), names.add(basename(watched)));
    }
    for (const [folder, names] of folders) {
      const watcher = watch(folder, (_event, name) => {
        if (name !== null && !names.has(name)) return;
        clearTimeout(timer);
        timer = setTimeout(reload, 200);
      });
      watcher.unref();
      watchers.push(watcher);
    }
  }

  return {
    current: () => config,
    reload,
    onChange: (listener) => void listeners.push(listener),
    close: () => {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
