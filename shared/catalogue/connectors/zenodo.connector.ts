import { asObject, compact, type ConnectorSource, dateOf, identifierOf, type Json, text, texts, UnexpectedAnswerError } from './connector.source';

/**
 * Zenodo (`CONNECTOR_ZENODO_URL`, e.g. https://zenodo.org/api): `/records?type=dataset&page=&size=`,
 * answering `{ hits: { hits, total }, links: { next } }`. The identifier is `conceptrecid`, shared
 * by every version of a record: a new version updates the entry instead of adding a duplicate.
 */
export const zenodoRecords: ConnectorSource = {
  first: (pageSize) => `/records?type=dataset&sort=oldest&page=1&size=${pageSize}`,
  page: ({ status, body }, cursor) => {
    if (status !== 200) throw new UnexpectedAnswerError(`Zenodo answered ${status} for ${cursor}`);
    const hits = asObject(asObject(body)?.hits)?.hits;
    if (!Array.isArray(hits)) throw new UnexpectedAnswerError(`Zenodo's answer for ${cursor} has no hits.hits list`);
    const next = asObject(asObject(body)?.links)?.next;
    return { records: hits, next: hits.length > 0 && typeof next === 'string' ? next : undefined };
  },
  convert(raw) {
    const record = asObject(raw);
    if (!record) throw new Error('the record is not an object');
    const identifier = identifierOf(record.conceptrecid ?? record.id);
    const metadata = asObject(record.metadata) ?? {};
    const html = text(metadata.description, 40_000);
    const files = (Array.isArray(record.files) ? record.files : []).map(asObject).filter((f): f is Json => f !== undefined);
    const creators = (Array.isArray(metadata.creators) ? metadata.creators : [])
      .map((c) => text(asObject(c)?.name, 256))
      .filter((n): n is string => n !== undefined)
      .slice(0, 100)
      .map((name) => ({ type: 'persons', name }));
    return {
      identifier,
      entry: compact({
        name: text(metadata.title, 256) ?? metadata.title,
        description: html ? { html } : undefined,
        keywords: texts(metadata.keywords, 100, 100),
        license: text(asObject(metadata.license)?.id, 256),
        version: text(metadata.version, 64),
        datePublished: dateOf(metadata.publication_date),
        sameAs: text(asObject(record.links)?.self_html, 2048) ?? `https://zenodo.org/records/${identifierOf(record.id ?? identifier)}`,
        creators: creators.length > 0 ? creators : undefined,
        distributions: files.slice(0, 100).map((file) => {
          const [algorithm, digest] = typeof file.checksum === 'string' ? file.checksum.split(':') : [];
          const md5 = algorithm === 'md5' && digest && /^[a-f0-9]{32}$/i.test(digest) ? digest : undefined;
          return compact({
            contentUrl: asObject(file.links)?.self,
            name: text(file.key, 256),
            contentSizeBytes: typeof file.size === 'number' ? file.size : undefined,
            checksum: md5,
            checksumAlgorithm: md5 ? 'md5' : undefined,
          });
        }),
      }),
    };
  },
};
