import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { type FileHandle, open, rename, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { type Account, type Doc, type ItemsMap, type Kind, allMaps, findMap, itemsPrototype, kindOf, parentSelf } from './cosmos-store';

/**
 * Crash-safe persistence for the embedded Cosmos DB server (`--data`). Every write of the library's
 * in-memory model is appended to `<data>/cosmos.journal` — the resulting document with its `_rid`,
 * `_etag` and `_ts`, or the `_rid` deleted — and the server answers no request until what it wrote
 * so far is on disk (`fdatasync`). Writes arriving together share one sync (group commit), so a bulk
 * ingest costs a sync per batch, not per document. At start the last snapshot (`cosmos.snapshot`,
 * the same records) and the journal are replayed into the model — ETags stay valid — and, when the
 * journal has grown, compacted into a new snapshot.
 */
interface SetRecord {
  k: Kind;
  p: string;
  s: Doc;
  /** The map's `_rid` counter, so new resources never reuse a restored `_rid`. */
  n: number;
}
interface DeleteRecord {
  k: Kind;
  p: string;
  d: string;
}
type JournalRecord = SetRecord | DeleteRecord;

/** Compact at start once the journal outgrows this or the snapshot. */
const COMPACT_BYTES = 64 * 1024 * 1024;

const originalSet = itemsPrototype._set;
const originalDelete = itemsPrototype.delete;

export class Journal {
  private pending: string[] = [];
  private appended = 0;
  private durable = 0;
  private waiters: { target: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushing = false;
  private replaying = false;
  private constructor(
    private readonly dataDir: string,
    private handle: FileHandle,
  ) {}

  private static file = (dataDir: string) => path.join(dataDir, 'cosmos.journal');
  private static snapshot = (dataDir: string) => path.join(dataDir, 'cosmos.snapshot');

  /** Restores `account` from `dataDir`, then records every later write. Answers the documents loaded. */
  static async open(dataDir: string, account: Account): Promise<{ journal: Journal; documents: number }> {
    const journalFile = Journal.file(dataDir);
    const snapshotFile = Journal.snapshot(dataDir);
    const restorer = new Journal(dataDir, await open(journalFile, 'a'));
    // The journal's directory entry must survive a crash as much as its contents.
    await syncDirectory(dataDir);
    restorer.replaying = true;
    const snapshotBytes = existsSync(snapshotFile) ? await restorer.replay(snapshotFile, account) : 0;
    const journalBytes = await restorer.replay(journalFile, account);
    // A crash can leave half a record at the end (a batch never acknowledged): cut it off before appending.
    await truncate(journalFile, journalBytes);
    restorer.replaying = false;
    restorer.hook();
    if (journalBytes > COMPACT_BYTES || journalBytes > snapshotBytes) await restorer.compact(account);
    let documents = 0;
    for (const [kind, items] of allMaps(account)) if (kind === 'docs') documents += items._data.size;
    return { journal: restorer, documents };
  }

  /** Resolves once every record appended so far is on disk; undefined when it already is. */
  whenDurable(): Promise<void> | undefined {
    if (this.durable === this.appended) return undefined;
    const target = this.appended;
    return new Promise((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      if (!this.flushing) setImmediate(() => void this.flush());
    });
  }

  private append(record: JournalRecord): void {
    this.pending.push(JSON.stringify(record));
    this.appended++;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.handle.write(`${batch.join('\n')}\n`);
        await this.handle.datasync();
        this.durable += batch.length;
        this.waiters = this.waiters.filter((waiter) => (waiter.target <= this.durable ? (waiter.resolve(), false) : true));
      }
    } catch (error) {
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    } finally {
      this.flushing = false;
    }
  }

  /** Wraps the model's two write paths so that each write is journaled (replays are not). */
  private hook(): void {
    const journal = this;
    itemsPrototype._set = function set(this: ItemsMap, data: Doc): Doc {
      const stored = originalSet.call(this, data);
      const k = kindOf(this);
      if (k && !journal.replaying) journal.append({ k, p: parentSelf(this), s: stored, n: this._ridCount });
      return stored;
    };
    itemsPrototype.delete = function remove(this: ItemsMap, idOrRid: string, partition: unknown): void {
      const existing = this._item('/id', idOrRid, partition).read();
      originalDelete.call(this, idOrRid, partition);
      const k = kindOf(this);
      if (k && existing?._rid && !journal.replaying) journal.append({ k, p: parentSelf(this), d: existing._rid });
    };
  }

  /** Applies the complete records of `file`; answers the length of its complete lines. */
  private async replay(file: string, account: Account): Promise<number> {
    const maps = new Map<string, ItemsMap | undefined>();
    let good = 0;
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let torn = false;
    for await (const line of lines) {
      if (torn) break;
      let record: JournalRecord;
      try {
        record = JSON.parse(line) as JournalRecord;
      } catch {
        torn = true;
        continue;
      }
      good += Buffer.byteLength(line) + 1;
      const key = `${record.k}|${record.p}`;
      if (!maps.has(key)) maps.set(key, findMap(account, record.k, record.p));
      const items = maps.get(key);
      if (!items) continue;
      if ('d' in record) {
        const existing = items._data.get(record.d)?.read();
        if (existing?.id !== undefined) originalDelete.call(items, existing.id, items._getPartition(existing));
      } else {
        originalSet.call(items, record.s);
        items._ridCount = Math.max(items._ridCount, record.n);
      }
      // A database or collection replaced or deleted changes which maps exist below it.
      if (record.k === 'dbs' || record.k === 'colls') maps.clear();
    }
    return torn ? good : (await stat(file)).size;
  }

  /** Writes the whole model as a new snapshot and empties the journal. */
  async compact(account: Account): Promise<void> {
    await this.whenDurable();
    const target = Journal.snapshot(this.dataDir);
    const out = createWriteStream(`${target}.tmp`);
    for (const [k, items] of allMaps(account)) {
      const p = parentSelf(items);
      for (const item of items._data.values()) {
        const s = item.read();
        if (s && !out.write(`${JSON.stringify({ k, p, s, n: items._ridCount })}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
    }
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
    const written = await open(`${target}.tmp`, 'r+');
    await written.sync();
    await written.close();
    await rename(`${target}.tmp`, target);
    await syncDirectory(this.dataDir);
    await this.handle.truncate(0);
    await this.handle.sync();
  }
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
