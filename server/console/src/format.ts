/** Display helpers: pure, no DOM. */

/** "3 s", "4 min 05 s", "2 h 10 min"; an em dash for null. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 ? `${h} h ${String(m % 60).padStart(2, '0')} min` : `${h} h`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "$0.0123" (four decimals under a dollar), "$12.40"; an em dash for null. */
export function cost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '—';
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** "just now", "5 min ago", "in 3 h", "2 d ago"; relative to `now`. */
export function relative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = t - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return diff > 0 ? 'in a moment' : 'just now';
  const units: Array<[number, string]> = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'min']];
  const [size, unit] = units.find(([u]) => abs >= u) ?? [60_000, 'min'];
  const n = Math.round(abs / size);
  return diff > 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

/** A local date and time for tooltips and detail pages. */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** The first 8 characters of an id (UUIDs read better that way in lists). */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

/** JSON for reading: 2-space indented; strings stay as they are. */
export function pretty(value: unknown): string {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? '';
}

/** Text typed into a form as a list: one entry per line (or comma-separated), trimmed, blanks dropped. */
export function lines(text: string): string[] {
  return text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

/** Parses what a person typed as input data: JSON when it is JSON, else the text itself; undefined when blank. */
export function inputValue(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return trimmed;
  }
}
