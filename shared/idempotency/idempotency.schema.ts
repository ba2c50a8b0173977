import { z } from 'zod';

/**
 * A value a replay must give back but the server must not keep readable (a created API key's
 * secret): AES-256-GCM under a key derived with HKDF-SHA256 from the caller's Idempotency-Key and
 * principal id. The server never stores the Idempotency-Key, so it cannot open this on its own.
 */
export const SealedValue = z.object({
  alg: z.literal('A256GCM+HKDF-SHA256'),
  /** 96-bit nonce, base64url; random per seal. */
  iv: z.string().min(1),
  /** Ciphertext, base64url. */
  data: z.string(),
  /** 128-bit GCM tag, base64url. */
  tag: z.string().min(1),
});
export type SealedValue = z.infer<typeof SealedValue>;

/** One Idempotency-Key claim: which request (fingerprint) it was used for and what that request creates. */
export const IdempotencyRecord = z.object({
  /** SHA-256 of (principal id, key): the key itself is never stored. */
  id: z.string(),
  docType: z.literal('idempotencyKey'),
  principalId: z.string(),
  fingerprint: z.string(),
  /** The id of what the first request creates (a job, an API key); chosen before it is created. */
  resourceId: z.string(),
  sealed: SealedValue.optional(),
  createdAt: z.iso.datetime(),
  /** Seconds Cosmos DB keeps this item; absent: the container's default (a day). */
  ttl: z.number().int().positive().optional(),
});
export type IdempotencyRecord = z.infer<typeof IdempotencyRecord>;
