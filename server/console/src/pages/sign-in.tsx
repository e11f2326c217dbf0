import { useState } from 'preact/hooks';
import { ApiError, request } from '../api';
import { Button } from '../components/ui';
import { Icon } from '../components/icons';
import type { Me } from '../types';

/** Why a key was refused, in words that say what to do. */
function refusal(err: unknown): string {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 401) return 'That key was not accepted: it is unknown or has been revoked. Check that it was pasted whole, or ask an admin for a new one.';
  if (err.status === 403) return `This key cannot use the console: ${err.message}. Sign in with a reader, runner, operator or admin key.`;
  return err.explanation;
}

export function SignIn({ onSignedIn, notice }: { onSignedIn: (key: string, me: Me) => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const candidate = key.trim();
    if (!candidate) return setError('Paste an API key first.');
    setPending(true);
    setError(undefined);
    try {
      const me = await request<Me>('GET', 'me', { key: candidate });
      onSignedIn(candidate, me);
    } catch (err) {
      setError(refusal(err));
    } finally {
      setPending(false);
    }
  };

  return (
    <main class="signin">
      <form class="signin-card" onSubmit={submit} autocomplete="off">
        <div class="brand brand-lg"><img src="./favicon.svg" alt="" width="36" height="36" /> personas-cloud</div>
        <h1>Sign in</h1>
        <p class="muted">Use an API key: the <code>TEAM_API_KEY</code> printed at the first start (also in <code>data/secrets.env</code>), or a key an admin made for you with <code>POST /api/keys</code>.</p>
        {notice && !error && <p class="inline-error" role="alert"><Icon name="info" size={16} /> {notice}</p>}
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" value={key} autoFocus spellcheck={false}
          placeholder="pck_… or dac_…" onInput={(e) => setKey(e.currentTarget.value)} aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'signin-error' : 'signin-hint'} />
        {error && <p class="inline-error" id="signin-error" role="alert"><Icon name="alert" size={16} /> {error}</p>}
        <Button type="submit" variant="primary" pending={pending}>Sign in</Button>
        <p class="field-hint" id="signin-hint"><Icon name="lock" size={14} /> The key stays in this browser tab only (session storage) and is sent as a Bearer header; closing the tab forgets it.</p>
      </form>
    </main>
  );
}
