import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair { readonly cert: string; readonly key: string }

export interface TestCerts extends Disposable {
  readonly dir: string;
  /** The test CA (its certificate file). */
  readonly ca: string;
  /** A server certificate for 127.0.0.1 (CN and subjectAltName), signed by the CA. */
  readonly server: CertPair;
  /** One client certificate per requested CN (a device id), signed by the CA. */
  readonly clients: Readonly<Record<string, CertPair>>;
  remove(): void;
}

const openssl = (...args: string[]) => void execFileSync('openssl', args, { stdio: 'pipe' });

/**
 * Certificates made at test time with the system `openssl` (never committed): a CA, a server
 * certificate for 127.0.0.1 and a client certificate per CN. Valid for one day.
 */
export function makeTestCerts(options: { clients?: readonly string[] } = {}): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'pulsehub-certs-'));
  const f = (n: string) => join(dir, n);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=pulsehub-test-ca');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
  openssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '1', '-copy_extensions', 'copy');
  const clients: Record<string, CertPair> = {};
  for (const [i, cn] of (options.clients ?? []).entries()) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`client${i}.key`), '-out', f(`client${i}.csr`), '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', f(`client${i}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`client${i}.crt`), '-days', '1');
    clients[cn] = { cert: f(`client${i}.crt`), key: f(`client${i}.key`) };
  }
  const remove = () => rmSync(dir, { recursive: true, force: true });
  return { dir, ca: f('ca.crt'), server: { cert: f('server.crt'), key: f('server.key') }, clients, remove, [Symbol.dispose]: remove };
}
