import { useEffect, useMemo, useState } from 'preact/hooks';
import { request, setUnauthorizedHandler } from './api';
import { Icon, type IconName } from './components/icons';
import { ToastHost } from './components/toast';
import { Loading } from './components/ui';
import { SessionContext, type SessionValue } from './data';
import { href, useRoute, type Route } from './router';
import { currentKey, forgetKey, rememberKey } from './session';
import type { Me } from './types';
import { SignIn } from './pages/sign-in';
import { Overview } from './pages/overview';
import { PersonaList } from './pages/personas';
import { PersonaDetail } from './pages/persona-detail';
import { PersonaForm } from './pages/persona-form';
import { ExecutionList } from './pages/executions';
import { ExecutionPage } from './pages/execution-detail';
import { EventList } from './pages/events';
import { EventPage } from './pages/event-detail';
import { TriggerList } from './pages/triggers';
import { Inbox } from './pages/inbox';

const NAV: Array<{ path: string; label: string; icon: IconName }> = [
  { path: '', label: 'Overview', icon: 'overview' },
  { path: 'personas', label: 'Personas', icon: 'personas' },
  { path: 'executions', label: 'Executions', icon: 'executions' },
  { path: 'events', label: 'Events', icon: 'events' },
  { path: 'triggers', label: 'Triggers', icon: 'triggers' },
  { path: 'inbox', label: 'Reviews & messages', icon: 'inbox' },
];

function page(route: Route) {
  const [section, id, sub] = route.parts;
  switch (section) {
    case undefined: return <Overview />;
    case 'personas':
      if (id === 'new') return <PersonaForm />;
      if (id && sub === 'edit') return <PersonaForm id={id} />;
      return id ? <PersonaDetail id={id} /> : <PersonaList />;
    case 'executions': return id ? <ExecutionPage id={id} /> : <ExecutionList query={route.query} />;
    case 'events': return id ? <EventPage id={id} /> : <EventList query={route.query} />;
    case 'triggers': return <TriggerList query={route.query} />;
    case 'inbox': return <Inbox query={route.query} />;
    default: return <NotFound />;
  }
}

function NotFound() {
  return (
    <div class="state state-empty">
      <Icon name="info" size={22} />
      <div><strong>There is no such page</strong><p><a href="#/">Go to the overview</a>.</p></div>
    </div>
  );
}

type Auth = { state: 'checking' } | { state: 'out'; notice?: string } | { state: 'in'; me: Me };

export function App() {
  const route = useRoute();
  const [auth, setAuth] = useState<Auth>(() => (currentKey() ? { state: 'checking' } : { state: 'out' }));
  const [menuOpen, setMenuOpen] = useState(false);

  const signOut = (notice?: string) => {
    forgetKey();
    setAuth({ state: 'out', notice });
  };

  useEffect(() => {
    setUnauthorizedHandler((message) => signOut(`Your key is no longer accepted (${message}). Sign in again.`));
    if (auth.state !== 'checking') return;
    request<Me>('GET', 'me').then(
      (me) => setAuth({ state: 'in', me }),
      (err: { status?: number; explanation?: string }) => {
        if (err.status === 0) setAuth({ state: 'out', notice: err.explanation });
        else signOut('Your saved key is no longer accepted. Sign in again.');
      },
    );
  }, []);

  useEffect(() => setMenuOpen(false), [route]);

  const session = useMemo<SessionValue | null>(() => auth.state !== 'in' ? null : {
    me: auth.me,
    can: (role) => auth.me.grants.includes(role),
    signOut,
  }, [auth]);

  if (auth.state === 'checking') return <main class="signin"><Loading label="Signing in…" /></main>;
  if (auth.state === 'out' || !session) {
    return <SignIn notice={auth.state === 'out' ? auth.notice : undefined} onSignedIn={(key, me) => {
      rememberKey(key);
      setAuth({ state: 'in', me });
    }} />;
  }

  const section = route.parts[0] ?? '';
  return (
    <SessionContext.Provider value={session}>
      <ToastHost>
        <div class={`shell${menuOpen ? ' menu-open' : ''}`}>
          <aside class="sidebar">
            <div class="sidebar-top">
              <a class="brand" href="#/"><img src="./favicon.svg" alt="" width="28" height="28" /> personas-cloud</a>
              <button class="icon-btn menu-btn" type="button" aria-label={menuOpen ? 'Close menu' : 'Open menu'}
                aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
                <Icon name={menuOpen ? 'close' : 'menu'} />
              </button>
            </div>
            <nav class="nav" aria-label="Main">
              {NAV.map((n) => (
                <a key={n.path} href={href(...(n.path ? [n.path] : []))} class={section === n.path ? 'active' : ''}
                  aria-current={section === n.path ? 'page' : undefined}>
                  <Icon name={n.icon} /> {n.label}
                </a>
              ))}
            </nav>
            <div class="whoami">
              <div class="whoami-key" title={`key id ${session.me.keyId}`}>
                <Icon name="key" size={16} />
                <span class="whoami-name">{session.me.name}</span>
                <span class="badge tone-indigo" data-testid="role">{session.me.role}</span>
              </div>
              <button class="btn btn-ghost btn-sm signout" type="button" onClick={() => signOut()}>
                <Icon name="signout" size={16} /> <span>Sign out</span>
              </button>
            </div>
          </aside>
          <main class="content" id="main">{page(route)}</main>
        </div>
      </ToastHost>
    </SessionContext.Provider>
  );
}
