import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminKey, call, expectProblem, keyWithRoles } from '../support/api';

/**
 * The cursor walk over 250 entries of a platform of their own: every entry exactly once, in order,
 * for both sort fields, with `Link: rel="next"` matching `nextCursor`.
 */
interface Entry {
  id: string;
  name: string;
  dateModified: string;
}
interface Page {
  items: Entry[];
  nextCursor: string | null;
}

const TOTAL = 250;
let platform: string;
let created: string[];

async function walk(query: string, key?: string): Promise<{ items: Entry[]; pages: number }> {
  const items: Entry[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const path: string = `/v1/catalogue/datasets?platform=${platform}&${query}${cursor ? `&cursor=${cursor}` : ''}`;
    const response = await call<Page>('GET', path, { key });
    expect(response.status, response.text).toBe(200);
    items.push(...response.body.items);
    cursor = response.body.nextCursor;
    if (cursor) expect(response.headers.get('link')).toContain(`cursor=${cursor}>; rel="next"`);
    else expect(response.headers.get('link')).toBeNull();
    pages++;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { items, pages };
}

beforeAll(async () => {
  platform = `walk-${randomUUID().slice(0, 8)}`;
  const registered = await call('POST', '/v1/catalogue/platforms', { key: adminKey(), body: { name: platform, status: 'published' } });
  expect(registered.status, registered.text).toBe(201);
  const contributor = await keyWithRoles(['contributor']);
  created = [];
  const numbers = Array.from({ length: TOTAL }, (_, i) => i);
  // Ten at a time, like ten clients: enough to share dateModified values, which the cursor must survive.
  for (let i = 0; i < TOTAL; i += 10) {
    const batch = await Promise.all(
      numbers.slice(i, i + 10).map((n) =>
        call<Entry>('POST', '/v1/catalogue/datasets', {
          key: contributor,
          body: { name: `Walk entry ${String((n * 7919) % TOTAL).padStart(3, '0')}`, description: { plain: 'A walk entry.' }, platform, platformResourceIdentifier: `walk/${n}`, status: 'published' },
        }),
      ),
    );
    for (const response of batch) {
      expect(response.status, response.text).toBe(201);
      created.push(response.body.id);
    }
  }
}, 120_000);

describe('GET /api/v1/catalogue/{type} (cursor pagination)', () => {
  it('walks 250 entries newest first, returning each exactly once', async () => {
    const { items, pages } = await walk('limit=37');
    expect(pages).toBe(Math.ceil(TOTAL / 37));
    const ids = items.map((item) => item.id);
    expect(ids).toHaveLength(TOTAL);
    expect(new Set(ids).size).toBe(TOTAL);
    expect([...ids].sort()).toEqual([...created].sort());
    const times = items.map((item) => item.dateModified);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('walks them by name, ascending, each exactly once', async () => {
    const { items } = await walk('limit=100&sort=name');
    expect(new Set(items.map((item) => item.id)).size).toBe(TOTAL);
    const names = items.map((item) => item.name);
    expect(names).toHaveLength(TOTAL);
    expect(names).toEqual([...names].sort());
  });

  it('agrees with the count', async () => {
    const count = await call<{ count: number }>('GET', `/v1/catalogue/datasets/count?platform=${platform}`);
    expect(count.body.count).toBe(TOTAL);
  });

  it('refuses a cursor replayed with other filters or another sort (400)', async () => {
    const first = await call<Page>('GET', `/v1/catalogue/datasets?platform=${platform}&limit=10`);
    const cursor = first.body.nextCursor ?? '';
    expect(cursor).not.toBe('');
    const otherFilter = await call('GET', `/v1/catalogue/datasets?platform=${platform}&limit=10&q=walk&cursor=${cursor}`);
    expect(expectProblem(otherFilter, 400).errors).toEqual([expect.objectContaining({ pointer: '/query/cursor' })]);
    expectProblem(await call('GET', `/v1/catalogue/datasets?platform=${platform}&limit=10&sort=name&cursor=${cursor}`), 400);
    const tampered = Buffer.from(JSON.stringify({ c: 'garbage', f: 'x' })).toString('base64url');
    expectProblem(await call('GET', `/v1/catalogue/datasets?platform=${platform}&cursor=${tampered}`), 400);
  });

  it('binds a cursor to the caller who got it', async () => {
    const first = await call<Page>('GET', `/v1/catalogue/datasets?platform=${platform}&limit=10`);
    const reader = await keyWithRoles(['reader']);
    expectProblem(await call('GET', `/v1/catalogue/datasets?platform=${platform}&limit=10&cursor=${first.body.nextCursor ?? ''}`, { key: reader }), 400);
  });
});
