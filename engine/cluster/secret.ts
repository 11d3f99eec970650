// The per-application secret. Policy: one random 32-byte key per application, made by
// the driver and handed to executors through a file (`--secret-file`) or the
// environment (`KILN_SECRET`), never argv: a process's argv is readable by every user
// of the host (/proc/PID/cmdline, `ps`), its environment only by its own user and root.
// The secret is hex text in both places (64 characters), so a file can be made with
// `openssl rand -hex 32`.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { KilnError } from '../common/errors.js';

/** Bytes of a secret (256 bits: the PSK is the whole key material of the TLS handshake). */
export const SECRET_BYTES = 32;

/** The environment variable an executor reads its secret from. */
export const SECRET_ENV = 'KILN_SECRET';

/** A fresh random secret for one application. */
export function newSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** The secret's text form (hex), as written to a file or the environment. */
export function secretText(secret: Buffer): string {
  return secret.toString('hex');
}

/** Parses a secret's hex text; `where` names its origin in the error. */
export function parseSecret(text: string, where: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== SECRET_BYTES * 2) {
    throw new KilnError('usage', `the secret in ${where} must be ${SECRET_BYTES * 2} hex characters (${SECRET_BYTES} random bytes, e.g. \`openssl rand -hex 32\`)`);
  }
  return Buffer.from(hex, 'hex');
}

/**
 * The executor's secret: from `file` when given, else from `env[KILN_SECRET]`. Missing
 * both is a usage error: an executor never runs unauthenticated.
 */
export function readSecret(file: string | undefined, env: NodeJS.ProcessEnv): Buffer {
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new KilnError('input', `cannot read the secret file ${file}: ${(e as Error).message}`);
    }
    return parseSecret(text, file);
  }
  const fromEnv = env[SECRET_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return parseSecret(fromEnv, `$${SECRET_ENV}`);
  throw new KilnError('usage', `no secret: pass --secret-file FILE or set ${SECRET_ENV} (the application's secret, never on the command line)`);
}
