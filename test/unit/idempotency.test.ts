import { describe, expect, it } from 'vitest';
import { seal, unseal } from '../../shared/idempotency/idempotency.seal';

const context = { principalId: 'admin-1', key: '6f1c2a58-1d7e-4f4b-9a43-0c2b8e1f5d90', resourceId: 'key-abc' };
const secret = 'Qm9ndXMtc2VjcmV0LW9mLTMyLWJ5dGVzLWJhc2U2NHVybA';

describe('a secret sealed for an Idempotency-Key replay', () => {
  it('opens for the same caller, key and resource', () => {
    expect(unseal(seal(secret, context), context)).toBe(secret);
  });

  it('is stored without the secret in any readable form', () => {
    const stored = JSON.stringify(seal(secret, context));
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(Buffer.from(secret).toString('base64url'));
    expect(stored).not.toContain(context.key);
  });

  it('does not open with another Idempotency-Key, another caller, or for another resource', () => {
    const sealed = seal(secret, context);
    expect(() => unseal(sealed, { ...context, key: `${context.key}x` })).toThrow();
    expect(() => unseal(sealed, { ...context, principalId: 'admin-2' })).toThrow();
    expect(() => unseal(sealed, { ...context, resourceId: 'key-other' })).toThrow();
  });

  it('does not open once altered, nor with a truncated tag', () => {
    const sealed = seal(secret, context);
    const flipped = Buffer.from(sealed.data, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => unseal({ ...sealed, data: flipped.toString('base64url') }, context)).toThrow();
    const shortTag = Buffer.from(sealed.tag, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => unseal({ ...sealed, tag: shortTag }, context)).toThrow();
  });

  it('differs each time the same secret is sealed (a fresh nonce)', () => {
    expect(seal(secret, context).iv).not.toBe(seal(secret, context).iv);
  });
});
