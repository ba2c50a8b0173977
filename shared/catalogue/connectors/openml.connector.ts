import {
  asObject,
  compact,
  type ConnectorSource,
  identifierOf,
  type Json,
  text,
  texts,
  UnexpectedAnswerError,
} from './connector.source';

/**
 * OpenML (`CONNECTOR_OPENML_URL`, e.g. https://www.openml.org/api/v1/json): `/data/list/limit/{n}/offset/{o}`
 * and `/flow/list/limit/{n}/offset/{o}`, offset paging. Past the last record OpenML answers 412 with
 * error code 372 ("No results"), which is the end, not a failure. Identifiers are the numeric
 * `did` / flow `id`, which OpenML never reuses.
 */
function offsetPaging(listPath: string, member: string, inner: string): Pick<ConnectorSource, 'first' | 'page'> {
  return {
    first: (pageSize) => `/${listPath}/list/limit/${pageSize}/offset/0`,
    page: ({ status, body }, cursor, pageSize) => {
      const error = asObject(asObject(body)?.error);
      if (status === 412 && String(error?.code) === '372') return { records: [], next: undefined };
      if (status !== 200) throw new UnexpectedAnswerError(`OpenML answered ${status} for ${cursor}`);
      const list = asObject(asObject(body)?.[member])?.[inner];
      if (!Array.isArray(list)) throw new UnexpectedAnswerError(`OpenML's answer for ${cursor} has no ${member}.${inner} list`);
      const offset = Number(/\/offset\/(\d+)/.exec(cursor)?.[1] ?? 0);
      const next = list.length < pageSize ? undefined : `/${listPath}/list/limit/${pageSize}/offset/${offset + list.length}`;
      return { records: list, next };
    },
  };
}

function quality(record: Json, name: string): number | undefined {
  const qualities = record.quality;
  if (!Array.isArray(qualities)) return undefined;
  const found = qualities.map(asObject).find((q) => q?.name === name);
  const value = Number(found?.value);
  return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
}

const FORMATS: Record<string, string> = { arff: 'text/x-arff', sparse_arff: 'text/x-arff', csv: 'text/csv', parquet: 'application/vnd.apache.parquet' };

export const openmlDatasets: ConnectorSource = {
  ...offsetPaging('data', 'data', 'dataset'),
  convert(raw) {
    const record = asObject(raw);
    if (!record) throw new Error('the record is not an object');
    const identifier = identifierOf(record.did);
    const fileId = identifierOf(record.file_id ?? record.did);
    const md5 = typeof record.md5_checksum === 'string' && /^[a-f0-9]{32}$/i.test(record.md5_checksum) ? record.md5_checksum : undefined;
    const instances = quality(record, 'NumberOfInstances');
    const format = typeof record.format === 'string' ? FORMATS[record.format.toLowerCase()] : undefined;
    return {
      identifier,
      entry: compact({
        name: record.name,
        version: text(record.version, 64),
        sameAs: `https://www.openml.org/d/${identifier}`,
        size: instances === undefined ? undefined : { value: instances, unit: 'instances' },
        distributions: [
          compact({
            contentUrl: `https://www.openml.org/data/v1/download/${fileId}`,
            encodingFormat: format,
            checksum: md5,
            checksumAlgorithm: md5 ? 'md5' : undefined,
          }),
        ],
      }),
    };
  },
};

export const openmlFlows: ConnectorSource = {
  ...offsetPaging('flow', 'flows', 'flow'),
  convert(raw) {
    const record = asObject(raw);
    if (!record) throw new Error('the record is not an object');
    const identifier = identifierOf(record.id);
    // `external_version` lists the libraries: `sklearn==1.3.0,numpy>=1.6.1`.
    const libraries = typeof record.external_version === 'string' ? record.external_version.split(',').map((part) => part.split(/[=<>~!]/)[0]) : undefined;
    return {
      identifier,
      entry: compact({
        name: record.full_name ?? record.name,
        version: text(record.version, 64),
        sameAs: `https://www.openml.org/f/${identifier}`,
        framework: texts(libraries, 100, 20),
      }),
    };
  },
};
