/** A config check that `key` of a sink's config is a URL that parses (the schema only checks `^https?://`). */
export function checkUrl<K extends string>(key: K) {
  return (config: { [P in K]?: string }): string[] => {
    const value = config[key];
    if (value === undefined) return [];
    try {
      new URL(value);
      return [];
    } catch {
      // Not the value itself: webhook URLs hold their token.
      return [`${key}: not a valid URL`];
    }
  };
}
