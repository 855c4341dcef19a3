import { jsonPointerToPath } from '../event/format-ajv-errors';

/**
 * Replaces `${NAME}` in every string of a parsed config with the environment's value (`$${` is a literal
 * `${`). Substituting after parsing means a secret's characters can never change the YAML's structure.
 * Each missing variable is reported with the path where it is used.
 */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
  pointer = '',
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$(\$?)\{([^}]*)\}/g, (whole, escape: string, name: string) => {
      if (escape) return whole.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        problems.push(`${jsonPointerToPath(pointer)}: "\${${name}}" is not a valid variable name`);
        return '';
      }
      const found = env[name];
      if (found === undefined) {
        problems.push(`${jsonPointerToPath(pointer)}: environment variable ${name} is not set`);
        return '';
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, problems, `${pointer}/${i}`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, problems, `${pointer}/${k}`)]),
    );
  }
  return value;
}
