import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { destinationRefusal, type HostAllowance } from '../domain/poll-destination';

/**
 * An HTTP(S) GET that only reaches addresses the poller may reach. Every hop is checked after DNS
 * resolution and the socket connects to the very addresses that were checked (the request's
 * `lookup` hands them back instead of resolving again), so a name that answers differently the
 * second time (DNS rebinding) cannot switch the destination. The Host header and TLS server name
 * stay the URL's host. Redirects are followed here, a bounded number of times, each hop checked.
 */

/** Resolves a host name to every address it has; injected by tests. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

/** The system resolver (getaddrinfo: /etc/hosts counts), all addresses in the order it gives them. */
export const resolveWithDns: ResolveHost = async (hostname) =>
  (await dns.promises.lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface GuardedGetOptions {
  /** Non-public hosts that may be reached (POLL_ALLOW_PRIVATE_HOSTS). */
  allow: readonly HostAllowance[];
  resolve?: ResolveHost;
  /** For the whole request, redirects and body included. */
  timeoutMs: number;
  /** A larger body is an error, not a truncation. */
  maxBytes: number;
  maxRedirects?: number;
}

/** A hop went to an address that is not public and not allowed. Nothing was sent to it. */
export class DestinationRefusedError extends Error {
  override name = 'DestinationRefusedError';
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const DEFAULT_MAX_REDIRECTS = 5;

/** A URL as messages show it: no credentials and no query string, either of which may hold a token. */
export function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * GETs `url`, following up to `maxRedirects` redirects, and returns the body as UTF-8. Throws
 * DestinationRefusedError when any hop resolves to a refused address, and a plain Error for a
 * non-2xx answer, a body over `maxBytes`, too many redirects or the timeout.
 */
export async function guardedGet(url: string, opts: GuardedGetOptions): Promise<string> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  const first = new URL(url);
  const maxRedirects = opts.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  try {
    let current = first;
    for (let hop = 0; ; hop++) {
      const where = hop === 0 ? `GET ${shownUrl(first)}` : `GET ${shownUrl(first)}: redirect ${hop} to ${shownUrl(current)}`;
      const addresses = await checkedAddresses(current, opts, signal, where);
      const res = await send(current, addresses, signal);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        res.destroy();
        if (hop >= maxRedirects) throw new Error(`GET ${shownUrl(first)}: more than ${maxRedirects} redirects`);
        current = new URL(location, current);
        if (current.protocol !== 'http:' && current.protocol !== 'https:') {
          throw new DestinationRefusedError(`GET ${shownUrl(first)}: redirect ${hop + 1} to a ${current.protocol} URL refused`);
        }
        continue;
      }
      if (status < 200 || status > 299) {
        res.destroy();
        throw new Error(`GET ${shownUrl(current)} answered ${status}`);
      }
      return await readLimited(res, opts.maxBytes, current);
    }
  } catch (err) {
    if (signal.aborted && !(err instanceof DestinationRefusedError)) {
      throw new Error(`GET ${shownUrl(first)}: no complete answer within ${opts.timeoutMs} ms`);
    }
    throw err;
  }
}

/** Resolves the URL's host (an IP literal is its own address) and checks every address it has. */
async function checkedAddresses(url: URL, opts: GuardedGetOptions, signal: AbortSignal, where: string): Promise<string[]> {
  const host = bareHost(url);
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const addresses = net.isIP(host) ? [host] : await untilAborted((opts.resolve ?? resolveWithDns)(host), signal);
  if (addresses.length === 0) throw new Error(`${where}: ${host} has no address`);
  for (const address of addresses) {
    const refusal = destinationRefusal(opts.allow, { host, port, address });
    if (refusal) throw new DestinationRefusedError(`${where} refused: ${refusal}`);
  }
  return addresses;
}

function send(url: URL, addresses: string[], signal: AbortSignal): Promise<http.IncomingMessage> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        protocol: url.protocol,
        hostname: bareHost(url),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { host: url.host, accept: '*/*', 'user-agent': 'personas-cloud-poller' },
        lookup: pinnedLookup(addresses),
        // A fresh connection per request: a pooled socket would skip the check above.
        agent: false,
        signal,
      },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

/** A `lookup` that answers with the addresses already checked, never asking DNS again. */
function pinnedLookup(addresses: string[]): net.LookupFunction {
  const entries = addresses.map((address) => ({ address, family: net.isIP(address) }));
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const wanted = family === 0 ? entries : entries.filter((e) => e.family === family);
    if (wanted.length === 0) {
      callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all) {
      callback(null, wanted);
    } else {
      callback(null, wanted[0].address, wanted[0].family);
    }
  };
}

async function readLimited(res: http.IncomingMessage, maxBytes: number, url: URL): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > maxBytes) {
      res.destroy();
      throw new Error(`GET ${shownUrl(url)}: response larger than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const bareHost = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
