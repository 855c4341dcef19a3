/** The config file is invalid; `problems` lists every error found, each as `path: message`. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(
      `[config] ${file}: ${problems.length} error${problems.length === 1 ? '' : 's'}\n  ${problems.join('\n  ')}`,
    );
  }
}
