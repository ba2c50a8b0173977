import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEntry } from '../../shared/catalogue/catalogue.repository';
import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import { useStackSettings } from '../support/stack-env';

/**
 * Issue 20: DCAT-AP makes `dct:description` mandatory for a dataset, and publishing requires one from
 * callers. A connector harvests datasets whose platform listing has none (OpenML's has no
 * description field): such an entry says truthfully where it was listed and that the platform gave no
 * description, rather than going into every harvester's catalogue without one.
 */
beforeAll(() => useStackSettings());

describe('datasets the platform publishes itself', () => {
  it('say where they were listed when the platform gives no description', async () => {
    const identifier = randomUUID();
    const { id } = await upsertEntryAsSystem('datasets', { name: 'harvested', platform: 'openml', platformResourceIdentifier: identifier, status: 'published' });
    const stored = await readEntry('datasets', id);
    expect(stored?.doc.status).toBe('published');
    expect((stored?.doc as { description?: { plain?: string } }).description?.plain).toBe(`Listed on openml as ${identifier}; openml gives no description of it.`);
  });

  it('keep the description the platform gives', async () => {
    const { id } = await upsertEntryAsSystem('datasets', {
      name: 'described',
      platform: 'openml',
      platformResourceIdentifier: randomUUID(),
      description: { plain: 'Rows of things.' },
      status: 'published',
    });
    expect((await readEntry('datasets', id))?.doc as { description?: unknown }).toMatchObject({ description: { plain: 'Rows of things.' } });
  });
});
