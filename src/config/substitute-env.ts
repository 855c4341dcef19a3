import { readFileSync } from 'node:fs';
import { jsonPointerToPath } from '../event/format-ajv-errors';

/** Reads a secret file; tests pass their own. @defaultValue `readFileSync(path, 'utf8')` */
export type ReadSecretFile = (path: string) => string;

const readUtf8: ReadSecretFile = (path) => readFileSync(path, 'utf8');

/** A secret file's content without the trailing newline editors and `echo` add. */
const fileValue = (text: string) => text.replace(/\r?\n$/, '');

/**
 * Replaces references in every string of a parsed config (`$${` is a literal `${`):
 * - `${NAME}`: the environment's value; when NAME is unset but `NAME_FILE` is set, the content of that
 *   file (the Docker and Kubernetes secrets convention);
 * - `${NAME:-default}`: `default` when NAME is unset or empty (`${NAME:-}` for an optional value);
 * - `${file:/path}`: the content of a file, as Alertmanager's `*_file` keys do.
 * Substituting after parsing means a secret's characters can never change the YAML's structure.
 * Each missing variable or unreadable file is reported with the path where it is used.
 */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
  pointer = '',
  readFile: ReadSecretFile = readUtf8,
): unknown {
  if (typeof value === 'string') {
    const at = () => jsonPointerToPath(pointer);
    const read = (path: string, via: string) => {
      try {
        return fileValue(readFile(path));
      } catch (e) {
        problems.push(
          `${at()}: cannot read ${via} ${path} (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
        );
        return '';
      }
    };
    return value.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escape: string, ref: string) => {
      if (escape) return whole.slice(1);
      if (ref.startsWith('file:')) return read(ref.slice('file:'.length), 'the file');
      const defaulted = /^([^:]*):-(.*)$/s.exec(ref);
      const name = defaulted?.[1] ?? ref;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        problems.push(`${at()}: "\${${ref}}" is not a valid variable name`);
        return '';
      }
      const found = env[name];
      if (defaulted) return found === undefined || found === '' ? (defaulted[2] ?? '') : found;
      if (found !== undefined) return found;
      const file = env[`${name}_FILE`];
      if (file !== undefined && file !== '') return read(file, `${name}_FILE`);
      problems.push(`${at()}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value))
    return value.map((v, i) => substituteEnv(v, env, problems, `${pointer}/${i}`, readFile));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        substituteEnv(v, env, problems, `${pointer}/${k}`, readFile),
      ]),
    );
  }
  return value;
}
