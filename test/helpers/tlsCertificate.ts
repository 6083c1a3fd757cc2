// A throwaway TLS certificate made at run time with openssl (never a committed key): self-signed,
// for localhost and 127.0.0.1, valid one day, in a temporary directory removed by cleanup().
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tempDir.js';

/** A self-signed certificate and its key, as PEM text and as files. */
export interface TestCertificate {
  readonly key: string;
  readonly cert: string;
  readonly keyFile: string;
  readonly certFile: string;
  /** Removes the files. */
  cleanup(): void;
}

/** Makes a self-signed EC certificate for `localhost`/127.0.0.1 (`cn` names it). Throws when openssl is missing. */
export function makeTestCertificate(cn = 'localhost'): TestCertificate {
  const tmp = tempDir();
  const keyFile = join(tmp.dir, 'key.pem');
  const certFile = join(tmp.dir, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${cn}`,
        '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    tmp.cleanup();
    throw new Error(`openssl could not make a test certificate (install openssl): ${(err as Error).message}`);
  }
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), keyFile, certFile, cleanup: tmp.cleanup };
}
