import { createHash } from 'node:crypto';

/**
 * SHA-256 of text (as UTF-8) or bytes, hex by default. Digests of it are persisted (API key hashes,
 * ids derived from names, cache keys), so callers that shorten one keep their own `.slice`.
 *
 * @example sha256('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
export function sha256(data: string | Uint8Array, encoding: 'hex' | 'base64url' = 'hex'): string {
  return createHash('sha256').update(data).digest(encoding);
}
