/**
 * Pure: which isolation a worker uses, from what was asked (WORKER_SANDBOX) and what this host can
 * do. `auto` takes the strongest available. Nothing available: development starts with a warning
 * (and every run says it is not isolated); production refuses unless `none` was asked for explicitly.
 */
export type IsolationMode = 'bwrap' | 'uid' | 'none';
export type RequestedMode = IsolationMode | 'auto';

export interface HostAbilities {
  /** bwrap and socat are installed and a probe sandbox started (as the slot uid when root). */
  bwrap: boolean;
  /** Why the bwrap probe failed, for the message. */
  bwrapProblem?: string;
  /** The worker runs as root and util-linux `setpriv` is installed. */
  uidSwitch: boolean;
}

export type ModeChoice =
  | { ok: true; mode: IsolationMode; warning?: string }
  | { ok: false; error: string };

export const INSTALL_HINT = 'install bubblewrap and socat (Debian/Ubuntu: apt-get install -y bubblewrap socat)';

export function chooseMode(requested: RequestedMode, host: HostAbilities, production: boolean): ModeChoice {
  const bwrapWhy = host.bwrapProblem ? ` (${host.bwrapProblem})` : '';
  switch (requested) {
    case 'bwrap':
      return host.bwrap
        ? { ok: true, mode: 'bwrap' }
        : { ok: false, error: `WORKER_SANDBOX=bwrap but bubblewrap cannot start a sandbox here${bwrapWhy}; ${INSTALL_HINT}, or allow user namespaces (containers: see the README's Security model)` };
    case 'uid':
      return host.uidSwitch
        ? { ok: true, mode: 'uid' }
        : { ok: false, error: 'WORKER_SANDBOX=uid needs the worker to run as root with util-linux setpriv installed' };
    case 'none':
      return { ok: true, mode: 'none', warning: 'WORKER_SANDBOX=none: CLI runs are NOT isolated; a prompt-injected run can read this host\'s files and reach its network' };
    case 'auto':
      if (host.bwrap) return { ok: true, mode: 'bwrap' };
      if (host.uidSwitch) {
        return { ok: true, mode: 'uid', warning: `bubblewrap is not usable${bwrapWhy}: runs are isolated by uid only (files and processes, not the network); ${INSTALL_HINT}` };
      }
      if (production) {
        return { ok: false, error: `no sandbox is available for CLI runs${bwrapWhy}; ${INSTALL_HINT} (or run the worker as root for the uid mode), or set WORKER_SANDBOX=none to run without isolation deliberately` };
      }
      return { ok: true, mode: 'none', warning: `CLI runs are NOT isolated: no sandbox is available${bwrapWhy}; ${INSTALL_HINT}` };
  }
}

/** The first output line of every run of a worker without isolation. */
export const NOT_ISOLATED_LINE = '[personas] this run is NOT isolated (WORKER_SANDBOX=none): it can read the worker host\'s files and reach its network';
