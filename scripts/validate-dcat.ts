import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DatasetCore, Quad } from '@rdfjs/types';
import { Parser, Store } from 'n3';
import { dcatCatalogExport } from '../shared/catalogue/export/dcat.catalog';
import { dcatExport } from '../shared/catalogue/export/dcat.export';
import { jsonLdToQuads } from '../shared/catalogue/export/rdf.serialize';
import { present } from '../shared/catalogue/catalogue.access';
import type { StoredEntry } from '../shared/catalogue/catalogue.repository';
import type { CatalogueEntry } from '../shared/catalogue/catalogue.types';
import { standardsSample } from './standards.sample';

/**
 * `npm run validate:dcat`: every DCAT-AP export the sample entries give (scripts/standards.sample.ts:
 * the seed data and a minimal and a full entry of every type, each as a signed-in and an anonymous
 * caller sees it, and the catalogue of the published ones) validated against the official DCAT-AP
 * 3.0.1 SHACL shapes with their background knowledge. The shapes are read from
 * `DCAT_AP_SHAPES_DIR` (default `../shared/reference/dcat-ap` next to the repository), never copied
 * in. Exits 1 on any violation or when the shapes are missing.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const SHAPE_FILES = ['shapes.ttl', 'range.ttl', 'shapes_recommended.ttl', 'deprecateduris.ttl'];
const BACKGROUND = 'background-subclasses.ttl';
const SH = 'http://www.w3.org/ns/shacl#';
const BASE_URL = 'https://assets.example.org';

function parseTurtle(file: string): Quad[] {
  return new Parser({ baseIRI: `file://${file}` }).parse(readFileSync(file, 'utf8'));
}

function shapesDir(): string {
  const dir = path.resolve(ROOT, process.env.DCAT_AP_SHAPES_DIR ?? '../shared/reference/dcat-ap');
  const missing = [...SHAPE_FILES, BACKGROUND].filter((file) => !existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    console.error(`validate:dcat: the DCAT-AP shapes are not in ${dir} (missing ${missing.join(', ')}); set DCAT_AP_SHAPES_DIR`);
    process.exit(2);
  }
  return dir;
}

interface Finding {
  severity: string;
  shape: string;
  path: string;
  focus: string;
  message: string;
}

async function main(): Promise<void> {
  const dir = shapesDir();
  const { default: SHACLValidator } = await import('rdf-validate-shacl');
  const shapes = new Store(SHAPE_FILES.flatMap((file) => parseTurtle(path.join(dir, file))));
  const background = parseTurtle(path.join(dir, BACKGROUND));
  // deprecateduris.ttl owl:imports the ADMS vocabulary: background knowledge, which background-subclasses.ttl
  // already gives as the data graph's rdfs:subClassOf axioms, so the import itself adds nothing here.
  const validator = new SHACLValidator(shapes, { importGraph: () => new Store() as unknown as DatasetCore });

  const validate = async (document: Record<string, unknown>): Promise<Finding[]> => {
    const data = new Store([...(await jsonLdToQuads(document)), ...background]);
    const report = await validator.validate(data as unknown as DatasetCore);
    return report.results.map((result) => ({
      severity: result.severity.value.replace(SH, ''),
      shape: result.sourceConstraintComponent.value.replace(SH, ''),
      path: result.path?.value ?? '',
      focus: result.focusNode.value,
      message: result.message.map((m) => m.value).join(' '),
    }));
  };

  // The check must be able to fail: a dataset with only a title breaks DCAT-AP (no dct:description).
  const bare = { '@context': { dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/' }, '@id': `${BASE_URL}/bare`, '@type': 'dcat:Dataset', 'dct:title': 'Bare' };
  if (!(await validate(bare)).some((finding) => finding.severity === 'Violation' && finding.path === 'http://purl.org/dc/terms/description')) {
    console.error('validate:dcat: the shapes found nothing wrong with a dataset without a description; are they the DCAT-AP shapes?');
    process.exit(2);
  }

  const sample = standardsSample();
  const views = (doc: StoredEntry): [string, CatalogueEntry][] => [
    ['signed in', present(doc, { id: 'validator', kind: 'apiKey', roles: ['admin'] })],
    ['anonymous', present(doc, undefined)],
  ];
  let violations = 0;
  const perType = new Map<string, { documents: number; violations: number; warnings: number }>();
  const count = (label: string, findings: Finding[]) => {
    const tally = perType.get(label) ?? { documents: 0, violations: 0, warnings: 0 };
    tally.documents++;
    for (const finding of findings) {
      if (finding.severity === 'Violation') {
        tally.violations++;
        violations++;
        console.log(`  ${label}: ${finding.shape} ${finding.path} on ${finding.focus} ${finding.message}`);
      } else tally.warnings++;
    }
    perType.set(label, tally);
  };

  for (const { doc, label } of sample) {
    for (const [view, entry] of views(doc)) {
      if (process.env.VERBOSE) console.log(`${doc.type} ${label} (${view})`);
      count(doc.type, await validate(dcatExport(entry, { baseUrl: BASE_URL })));
    }
  }
  const published = sample.filter(({ doc }) => doc.status === 'published' && doc.type === 'datasets').map(({ doc }) => present(doc, undefined));
  count('catalog', await validate(dcatCatalogExport(published, { baseUrl: BASE_URL, page: 1, pageSize: 100, total: published.length })));

  for (const [label, tally] of perType) {
    console.log(`${label.padEnd(14)} ${String(tally.documents).padStart(3)} documents  ${tally.violations} violations  ${tally.warnings} warnings`);
  }
  if (violations > 0) {
    console.error(`validate:dcat: ${violations} SHACL violations`);
    process.exit(1);
  }
  console.log('validate:dcat: 0 violations');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
