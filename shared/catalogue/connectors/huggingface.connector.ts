import { asObject, compact, type ConnectorSource, dateOf, identifierOf, type Json, nextLink, text, texts, UnexpectedAnswerError } from './connector.source';

/**
 * Hugging Face Hub (`CONNECTOR_HUGGINGFACE_URL`, e.g. https://huggingface.co/api): `/datasets` and
 * `/models` with `limit` and `full=true`, cursor paging through the `Link: <…>; rel="next"` header.
 * The identifier is the repository's `_id`, which survives renames and transfers (the `id`,
 * `owner/name`, does not: keying on it made renamed repositories duplicates).
 */
function cursorPaging(collection: string): Pick<ConnectorSource, 'first' | 'page'> {
  return {
    first: (pageSize) => `/${collection}?limit=${pageSize}&full=true`,
    page: ({ status, headers, body }, cursor) => {
      if (status !== 200) throw new UnexpectedAnswerError(`Hugging Face answered ${status} for ${cursor}`);
      if (!Array.isArray(body)) throw new UnexpectedAnswerError(`Hugging Face's answer for ${cursor} is not a list`);
      return { records: body, next: nextLink(headers.get('link')) };
    },
  };
}

function licenseOf(record: Json): string | undefined {
  const tag = (Array.isArray(record.tags) ? record.tags : []).find((t): t is string => typeof t === 'string' && t.startsWith('license:'));
  return text(tag?.slice('license:'.length), 256) ?? text(asObject(record.cardData)?.license, 256);
}

function common(record: Json, kind: 'datasets' | 'models'): { identifier: string; name: string; fields: Json } {
  if (record.private === true) throw new Error('the repository is private');
  const name = text(record.id ?? record.modelId, 256);
  if (!name) throw new Error('the record has no id');
  const identifier = identifierOf(record._id ?? name);
  const description = text(record.description, 20_000);
  const path = kind === 'datasets' ? `datasets/${name}` : name;
  return {
    identifier,
    name,
    fields: {
      description: description ? { plain: description } : undefined,
      keywords: texts((Array.isArray(record.tags) ? record.tags : []).filter((t) => typeof t === 'string' && !t.includes(':')), 100, 100),
      license: licenseOf(record),
      datePublished: dateOf(record.createdAt),
      sameAs: `https://huggingface.co/${encodeURI(path)}`,
      creators: typeof record.author === 'string' ? [{ type: 'organisations', name: text(record.author, 256) }] : undefined,
    },
  };
}

export const huggingfaceDatasets: ConnectorSource = {
  ...cursorPaging('datasets'),
  convert(raw) {
    const record = asObject(raw);
    if (!record) throw new Error('the record is not an object');
    const { identifier, name, fields } = common(record, 'datasets');
    return { identifier, entry: compact({ name, ...fields }) };
  },
};

export const huggingfaceModels: ConnectorSource = {
  ...cursorPaging('models'),
  convert(raw) {
    const record = asObject(raw);
    if (!record) throw new Error('the record is not an object');
    const { identifier, name, fields } = common(record, 'models');
    return {
      identifier,
      entry: compact({
        name,
        ...fields,
        modelType: text(record.pipeline_tag, 100),
        framework: texts([record.library_name], 100, 20),
      }),
    };
  },
};
