/** A position in a list ordered newest first: the score and id of the last item returned. */
export interface ListPosition {
  score: number;
  id: string;
}

/** Encodes a position as the opaque `nextCursor` clients pass back. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.score, position.id])).toString('base64url');
}

/** Decodes a cursor; undefined when it is not one this relay made. */
export function decodeCursor(cursor: string): ListPosition | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === 'number' &&
      Number.isFinite(value[0]) &&
      typeof value[1] === 'string'
    )
      return { score: value[0], id: value[1] };
  } catch {
    // not base64url JSON
  }
  return undefined;
}
