import { readJson, toBool, writeJson } from './json-column';

export interface RowMapper<T> {
  /** A database row → the camelCase record (missing columns read as null). */
  fromRow(row: Record<string, unknown>): T;
  /** The fields present in `record` → their columns (undefined fields are left out, for updates). */
  toRow(record: Partial<T>): Record<string, unknown>;
}

/**
 * The one translation between a table's snake_case columns and its record's camelCase fields:
 * `json` fields are JSON text in the column, `bool` fields SQLite's 0/1.
 */
export function rowMapper<T>(columns: Record<keyof T, string>, kinds: { json?: Array<keyof T>; bool?: Array<keyof T> } = {}): RowMapper<T> {
  const entries = Object.entries(columns) as Array<[keyof T, string]>;
  const json = new Set(kinds.json ?? []);
  const bool = new Set(kinds.bool ?? []);
  return {
    fromRow(row) {
      const record = {} as Record<keyof T, unknown>;
      for (const [key, column] of entries) {
        const value = row[column] ?? null;
        record[key] = json.has(key) ? readJson(value as string | null) : bool.has(key) ? toBool(value) : value;
      }
      return record as T;
    },
    toRow(record) {
      const row: Record<string, unknown> = {};
      for (const [key, column] of entries) {
        const value = record[key];
        if (value !== undefined) row[column] = json.has(key) ? writeJson(value) : value;
      }
      return row;
    },
  };
}
