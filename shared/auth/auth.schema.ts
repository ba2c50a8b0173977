import { z } from 'zod';

export const Role = z.enum(['reader', 'labeller', 'contributor', 'admin']).meta({
  id: 'Role',
  description:
    'reader: read published data. labeller: read and label the images of the campaigns a key is scoped to. ' +
    'contributor: reader + create and edit own entries. admin: everything.',
});
export type Role = z.infer<typeof Role>;

/** A key can be limited to one labelling campaign (the label store's per-campaign labeller keys). */
export const KeyScope = z.strictObject({ campaignId: z.string().min(1).max(128) }).meta({ id: 'KeyScope' });
export type KeyScope = z.infer<typeof KeyScope>;

/** Who is calling, after authentication. `id` is what ownership fields store. */
export const Principal = z.object({
  id: z.string(),
  kind: z.enum(['apiKey', 'jwt']),
  roles: z.array(Role),
  keyId: z.string().optional(),
  scope: KeyScope.optional(),
});
export type Principal = z.infer<typeof Principal>;

export const KeyId = z.string().regex(/^[a-f0-9]{24}$/, 'a key id is 24 hex characters');

/** The stored form of an API key: only a SHA-256 hash of the secret is kept. */
export const ApiKeyRecord = z.object({
  id: KeyId,
  docType: z.literal('apiKey'),
  name: z.string(),
  subject: z.string(),
  roles: z.array(Role),
  scope: KeyScope.optional(),
  secretHash: z.string(),
  createdAt: z.iso.datetime(),
  createdBy: z.string(),
  expiresAt: z.iso.datetime().nullable(),
  revokedAt: z.iso.datetime().nullable(),
  lastUsedAt: z.iso.datetime().nullable().optional(),
});
export type ApiKeyRecord = z.infer<typeof ApiKeyRecord>;

export const ApiKey = ApiKeyRecord.omit({ secretHash: true, docType: true }).meta({ id: 'ApiKey' });
export type ApiKey = z.infer<typeof ApiKey>;

export const CreatedApiKey = ApiKey.extend({
  key: z.string().describe('`<keyId>.<secret>` for the X-API-Key header. Shown once; only its hash is stored.'),
}).meta({ id: 'CreatedApiKey' });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

export const CreateApiKeyBody = z
  .strictObject({
    name: z.string().trim().min(1).max(200).describe('What the key is for, e.g. "ci-uploader".'),
    roles: z.array(Role).min(1).max(4),
    subject: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('The principal the key acts as (owner of what it creates). Defaults to `apikey:<keyId>`.'),
    expiresAt: z.iso.datetime({ offset: true }).optional().describe('When the key stops working. Omit for no expiry.'),
    scope: KeyScope.optional(),
  })
  .meta({ id: 'CreateApiKeyBody' });
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

export const ApiKeyParams = z.strictObject({ keyId: KeyId });
