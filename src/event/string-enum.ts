import { Type, type TUnsafe } from '@sinclair/typebox';

/** A string limited to `values`, as one JSON Schema `enum` (one clear error, unlike a union of constants). */
export function stringEnum<const T extends readonly string[]>(
  values: T,
  description?: string,
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description && { description }) });
}
