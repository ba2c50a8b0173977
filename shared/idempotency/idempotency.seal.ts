import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { SealedValue } from './idempotency.schema';

const ALG = 'A256GCM+HKDF-SHA256';
/** HKDF `info`: binds derived keys to this use and version, so the same inputs never key anything else. */
const INFO = 'mlassets/idempotency-seal/v1';

/** What a sealed value is bound to: the request's caller and Idempotency-Key, and the resource it belongs to. */
export interface SealContext {
  principalId: string;
  key: string;
  resourceId: string;
}

/**
 * The key is derived from the Idempotency-Key (the input keying material only the caller holds) with
 * the principal id as salt, so the same key value sent by two callers opens nothing of the other's.
 */
function sealingKey(context: SealContext): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(context.key, 'utf8'), Buffer.from(context.principalId, 'utf8'), INFO, 32));
}

/** Additional authenticated data: a sealed value moved onto another resource's record fails to open. */
function aad(context: SealContext): Buffer {
  return Buffer.from(context.resourceId, 'utf8');
}

/**
 * Encrypts `plaintext` for a later replay by the same caller with the same Idempotency-Key.
 *
 * @example const sealed = seal(secret, { principalId, key, resourceId: keyId }); unseal(sealed, sameContext) === secret
 */
export function seal(plaintext: string, context: SealContext): SealedValue {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(context), iv);
  cipher.setAAD(aad(context));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return { alg: ALG, iv: iv.toString('base64url'), data: data.toString('base64url'), tag: cipher.getAuthTag().toString('base64url') };
}

/** Decrypts what `seal` produced for the same context; throws if the context differs or the value was altered. */
export function unseal(sealed: SealedValue, context: SealContext): string {
  // A fixed tag length: GCM would otherwise accept a truncated tag, which is easier to forge.
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(context), Buffer.from(sealed.iv, 'base64url'), { authTagLength: 16 });
  decipher.setAAD(aad(context));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]).toString('utf8');
}
