import type { Quad } from '@rdfjs/types';
import type { JsonLdDocument } from 'jsonld';
import { lazyRequire } from '../../azure/load';
import type { JsonLd } from './jsonld.helpers';

// jsonld and n3 are loaded by the first RDF export, not at import: they are large, and a cold start
// that serves no Turtle or RDF/XML should not pay for them (issue 22).
const jsonld = () => lazyRequire<typeof import('jsonld')>('jsonld');
const n3 = () => lazyRequire<typeof import('n3')>('n3');

// One export, three RDF syntaxes: the JSON-LD document is the source; Turtle and RDF/XML are its
// triples written by RDF libraries (jsonld → quads, n3 → Turtle, graphy → RDF/XML), never by hand.

export type RdfSyntax = 'jsonld' | 'turtle' | 'rdfxml';

export const RDF_MEDIA_TYPES: Record<RdfSyntax, string> = {
  jsonld: 'application/ld+json',
  turtle: 'text/turtle',
  rdfxml: 'application/rdf+xml',
};

/** Exports carry their contexts inline; a reference to any remote document is a bug, not a fetch. */
const refuseRemoteDocuments = async (url: string): Promise<never> => {
  throw new Error(`exports load no remote JSON-LD documents (asked for ${url})`);
};

interface JsonLdTerm {
  termType: string;
  value: string;
  datatype?: { value: string };
  language?: string;
}

function term(t: JsonLdTerm) {
  const { DataFactory } = n3();
  if (t.termType === 'BlankNode') return DataFactory.blankNode(t.value.replace(/^_:/, ''));
  if (t.termType === 'Literal') return DataFactory.literal(t.value, t.language || (t.datatype ? DataFactory.namedNode(t.datatype.value) : undefined));
  return DataFactory.namedNode(t.value);
}

/**
 * The triples of a JSON-LD export, as RDF/JS quads (default graph).
 *
 * @example const quads = await jsonLdToQuads(dcatExport(entry, options));
 */
export async function jsonLdToQuads(document: JsonLd): Promise<Quad[]> {
  const raw = (await jsonld().toRDF(document as JsonLdDocument, { documentLoader: refuseRemoteDocuments })) as unknown as {
    subject: JsonLdTerm;
    predicate: JsonLdTerm;
    object: JsonLdTerm;
  }[];
  const { DataFactory } = n3();
  return raw.map((q) => DataFactory.quad(term(q.subject) as Quad['subject'], term(q.predicate) as Quad['predicate'], term(q.object) as Quad['object']));
}

/** The prefixes of a JSON-LD context (string members that end in `/` or `#`), for Turtle and RDF/XML. */
function prefixesOf(document: JsonLd): Record<string, string> {
  const context = document['@context'];
  const prefixes: Record<string, string> = {};
  if (context && typeof context === 'object' && !Array.isArray(context)) {
    for (const [name, value] of Object.entries(context)) if (typeof value === 'string' && /[/#]$/.test(value) && !name.startsWith('@')) prefixes[name] = value;
  }
  return prefixes;
}

function turtle(quads: Quad[], prefixes: Record<string, string>): Promise<string> {
  const writer = new (n3().Writer)({ prefixes });
  writer.addQuads(quads);
  return new Promise((resolve, reject) => writer.end((error, result: string) => (error ? reject(error) : resolve(result))));
}

/** What the export uses of graphy's RDF/XML scriber (the package ships no types): a stream of quad events in, text out. */
interface RdfXmlScribe {
  on(event: 'data', listener: (chunk: string | Buffer) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
  write(event: { type: 'quad'; value: Quad }): boolean;
  end(): void;
}

function rdfXml(quads: Quad[], prefixes: Record<string, string>): Promise<string> {
  const scribe = require('@graphy/content.xml.scribe') as (config: { prefixes: Record<string, string> }) => RdfXmlScribe;
  const stream = scribe({ prefixes });
  let text = '';
  return new Promise((resolve, reject) => {
    stream.on('data', (chunk) => (text += String(chunk)));
    stream.on('end', () => resolve(text));
    stream.on('error', reject);
    for (const quad of quads) stream.write({ type: 'quad', value: quad });
    stream.end();
  });
}

/**
 * A JSON-LD export in one RDF syntax: the document itself for JSON-LD, its triples as Turtle or
 * RDF/XML otherwise (with the context's prefixes).
 */
export async function serialize(document: JsonLd, syntax: RdfSyntax): Promise<string | JsonLd> {
  if (syntax === 'jsonld') return document;
  const quads = await jsonLdToQuads(document);
  return syntax === 'turtle' ? turtle(quads, prefixesOf(document)) : rdfXml(quads, prefixesOf(document));
}
