import { store, type Versioned } from '../../azure/store';
import { ConnectorStateDoc, SeenPageDoc } from './connector.schema';

/** Connector state and seen-lists: point reads and writes by id only (container `connectorState`, key `/id`). */

export type StoredState = Versioned<ConnectorStateDoc>;

const states = store<ConnectorStateDoc>('connectorState', (raw) => ConnectorStateDoc.parse(raw), (doc) => doc.id);
const seenPages = store<SeenPageDoc>('connectorState', (raw) => SeenPageDoc.parse(raw), (doc) => doc.id);

export async function readState(id: string): Promise<StoredState | undefined> {
  return states.read(id, id);
}

/** Creates the state; undefined when another run created it first. */
export async function createState(doc: ConnectorStateDoc): Promise<StoredState | undefined> {
  return states.create(doc);
}

/** Replaces the state if it is still the version read; undefined when it changed. */
export async function replaceState(doc: ConnectorStateDoc, etag: string): Promise<StoredState | undefined> {
  return states.replaceIfUnchanged(doc, etag);
}

export const seenPageId = (connector: string, pass: number, page: number) => `${connector}~${pass}~${page}`;

export async function writeSeenPage(doc: SeenPageDoc): Promise<void> {
  await seenPages.upsert(doc);
}

export async function readSeenPage(connector: string, pass: number, page: number): Promise<SeenPageDoc | undefined> {
  const id = seenPageId(connector, pass, page);
  return (await seenPages.read(id, id))?.doc;
}

export async function deleteSeenPage(connector: string, pass: number, page: number): Promise<void> {
  const id = seenPageId(connector, pass, page);
  await seenPages.remove(id, id);
}
