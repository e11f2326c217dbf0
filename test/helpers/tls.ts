import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { generate } from 'selfsigned';

export interface TestCert {
  certFile: string;
  keyFile: string;
  cert: string;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1, made at test time (EC P-256, valid one
 * day), written as PEM into `dir`. A client trusts it by taking the certificate itself as its CA.
 */
export async function makeSelfSignedCert(dir: string, name = 'orchestrator'): Promise<TestCert> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
    ],
  });
  const certFile = path.join(dir, `${name}-cert.pem`);
  const keyFile = path.join(dir, `${name}-key.pem`);
  fs.writeFileSync(certFile, pems.cert);
  fs.writeFileSync(keyFile, pems.private, { mode: 0o600 });
  return { certFile, keyFile, cert: pems.cert };
}

/** One HTTPS request trusting `ca` (Node's fetch takes no CA): status and parsed JSON body. */
export function httpsJson(url: string, opts: { ca: string; method?: string; headers?: Record<string, string>; body?: unknown }): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = https.request(url, {
      method: opts.method ?? 'GET',
      ca: opts.ca,
      headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}
