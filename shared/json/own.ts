/**
 * `record[key]` when `record` holds `key` itself, else undefined: a key from data (a column, a label)
 * named like what every object inherits (`constructor`, `toString`) must not find that.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
