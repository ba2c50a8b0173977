import { describe, expectTypeOf, it } from 'vitest';
import type { Principal } from '../../shared/auth/auth.schema';
import { ok } from '../../shared/http/reply';
import type { defineRoute } from '../../shared/http/route';

/**
 * The principal a handler gets, as the wrapper's types give it: checked by `tsc -p tsconfig.test.json`
 * (these registrations are never run). Routes that declare roles always have a caller, so no handler
 * needs `principal!`; public and optional ones may have none.
 */
function registrations(register: typeof defineRoute): void {
  const writers = ['contributor'] as const;
  const common = { method: 'GET' as const, path: 'v1/things', summary: 'A thing', tags: ['things'], responses: { 200: { description: 'The thing.' } } };
  register({
    ...common,
    name: 'guardedInline',
    access: ['reader', 'labeller'],
    handle: async ({ principal }) => {
      expectTypeOf(principal).toEqualTypeOf<Principal>();
      return ok(principal.id);
    },
  });
  register({
    ...common,
    name: 'guardedByConstant',
    access: writers,
    handle: async ({ principal }) => {
      expectTypeOf(principal).toEqualTypeOf<Principal>();
      return ok(principal.id);
    },
  });
  register({
    ...common,
    name: 'optional',
    access: 'optional',
    handle: async ({ principal }) => {
      expectTypeOf(principal).toEqualTypeOf<Principal | undefined>();
      return ok(principal?.id ?? null);
    },
  });
  register({
    ...common,
    name: 'public',
    access: 'public',
    handle: async ({ principal }) => {
      expectTypeOf(principal).toEqualTypeOf<Principal | undefined>();
      return ok(null);
    },
  });
}

describe('defineRoute()', () => {
  it('types the principal of a guarded route as present, of a public or optional one as maybe absent', () => {
    expectTypeOf(registrations).parameter(0).toEqualTypeOf<typeof defineRoute>();
  });
});
