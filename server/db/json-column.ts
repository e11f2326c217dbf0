/** JSON text columns: parse on read (a corrupt value reads as null rather than throwing). */
export function readJson<T = unknown>(text: string | null | undefined): T | null {
  if (text === null || text === undefined || text === '') return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}

export function writeJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export const toBool = (v: unknown): boolean => v === true || v === 1 || v === '1';
