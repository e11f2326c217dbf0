/**
 * The signed-in key lives in sessionStorage: this tab only, gone when it closes, never in a URL,
 * a cookie or localStorage. (Anything running in the page could read it; the orchestrator's CSP
 * lets nothing but the console's own bundle run.)
 */
const STORAGE_KEY = 'personas-cloud.apiKey';

export function currentKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function rememberKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
