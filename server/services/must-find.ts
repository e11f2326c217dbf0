import { NotFoundError } from '../../shared/errors';

/** Loads a record or throws NotFoundError (→ 404) naming what was missing. */
export async function mustFind<T>(lookup: Promise<T | undefined>, what: string, id: string): Promise<T> {
  const found = await lookup;
  if (found === undefined) throw new NotFoundError(what, id);
  return found;
}
