import { container, cosmosStatus } from '../../azure/cosmos';
import { type ConnectorStateDoc, SeenPageDoc } from './connector.schema';

/** Connector state and seen-lists: point reads and writes by id only (container `connectorState`, key `/id`). */

export interface StoredState {
  doc: ConnectorStateDoc;
  etag: string;
}

const states = () => container('connectorState');

export async function readState(id: string): Promise<StoredState | undefined> {
  try {
    const { resource, etag } = await states().item(id, id).read<ConnectorStateDoc>();
    return resource ? { doc: resource, etag: etag ?? '' } : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

/** Creates the state; undefined when another run created it first (409). */
export async function createState(doc: ConnectorStateDoc): Promise<StoredState | undefined> {
  try {
    const { resource, etag } = await states().items.create(doc);
    return resource ? { doc, etag: etag ?? '' } : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 409) return undefined;
    throw error;
  }
}

/** Replaces the state if it is still the version read; undefined when it changed (412). */
export async function replaceState(doc: ConnectorStateDoc, etag: string): Promise<StoredState | undefined> {
  try {
    const { etag: next } = await states().item(doc.id, doc.id).replace(doc, { accessCondition: { type: 'IfMatch', condition: etag } });
    return { doc, etag: next ?? '' };
  } catch (error) {
    if (cosmosStatus(error) === 412 || cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

export const seenPageId = (connector: string, pass: number, page: number) => `${connector}~${pass}~${page}`;

export async function writeSeenPage(doc: SeenPageDoc): Promise<void> {
  await states().items.upsert(doc);
}

export async function readSeenPage(connector: string, pass: number, page: number): Promise<SeenPageDoc | undefined> {
  const id = seenPageId(connector, pass, page);
  try {
    const { resource } = await states().item(id, id).read<SeenPageDoc>();
    return resource ? SeenPageDoc.parse(resource) : undefined;
  } catch (error) {
    if (cosmosStatus(error) === 404) return undefined;
    throw error;
  }
}

export async function deleteSeenPage(connector: string, pass: number, page: number): Promise<void> {
  const id = seenPageId(connector, pass, page);
  try {
    await states().item(id, id).delete();
  } catch (error) {
    if (cosmosStatus(error) !== 404) throw error;
  }
}
