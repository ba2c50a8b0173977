import { upsertEntryAsSystem } from '../../shared/catalogue/catalogue.system';
import type { Seeder } from '../seed';

/**
 * Sample catalogue for `npm start`: a few published entries of every type, written for this
 * project (the people, organisations and identifiers are fictional). Fixed ids make it idempotent:
 * a second run changes nothing.
 */
type SeedEntry = { type: string } & Record<string, unknown>;

/** What every seeded dataset, model, publication, service and experiment has; `description` is plain text. */
interface Summary {
  id: string;
  name: string;
  description?: string;
  keywords: string[];
  creators: { type: string; id: string }[];
}

/** A published entry of `type`: the summary every entry has, then the fields its type adds. */
function published(type: string, { description, ...summary }: Summary, fields: Record<string, unknown>): SeedEntry {
  return { type, ...summary, ...(description === undefined ? {} : { description: { plain: description } }), ...fields, status: 'published' };
}

const person = (id: string, name: string, email: string) => ({ type: 'persons', id, name, email });
const org = (id: string, name: string) => ({ type: 'organisations', id, name });

const MARA = person('seed-person-mara-jansen', 'Mara Jansen', 'm.jansen@northsea-ml.example');
const TEO = person('seed-person-teo-alvarez', 'Teo Álvarez', 'teo.alvarez@tierra-lab.example');
const NSML = org('seed-org-northsea-ml', 'North Sea Marine Learning Lab');
const TIERRA = org('seed-org-tierra-lab', 'Tierra Earth Observation Lab');

export const CATALOGUE_SEED: SeedEntry[] = [
  { type: 'platforms', id: 'seed-platform-openml', name: 'openml', description: { plain: 'OpenML: open machine learning datasets, tasks and runs.' }, homepage: 'https://www.openml.org', resourceUrlTemplate: 'https://www.openml.org/d/{identifier}' },
  { type: 'platforms', id: 'seed-platform-huggingface', name: 'huggingface', description: { plain: 'Hugging Face Hub: models and datasets.' }, homepage: 'https://huggingface.co', resourceUrlTemplate: 'https://huggingface.co/{identifier}' },
  { type: 'platforms', id: 'seed-platform-zenodo', name: 'zenodo', description: { plain: 'Zenodo: the CERN research data repository.' }, homepage: 'https://zenodo.org', resourceUrlTemplate: 'https://zenodo.org/records/{identifier}' },

  { type: 'organisations', id: NSML.id, name: NSML.name, legalName: 'Stichting North Sea Marine Learning Lab', organisationType: 'research-institution', dateFounded: '2016-03-01', email: 'info@northsea-ml.example', url: 'https://northsea-ml.example', aiRelevance: 'Computer vision for marine litter monitoring.', members: [{ type: 'persons', id: MARA.id }] },
  { type: 'organisations', id: TIERRA.id, name: TIERRA.name, organisationType: 'research-institution', dateFounded: '2011-09-15', email: 'contact@tierra-lab.example', url: 'https://tierra-lab.example', members: [{ type: 'persons', id: TEO.id }] },

  { type: 'persons', id: MARA.id, name: MARA.name, givenName: 'Mara', surname: 'Jansen', email: MARA.email, expertise: ['object detection', 'marine litter'], languages: ['nl', 'en'], memberOf: [{ type: 'organisations', id: NSML.id }] },
  { type: 'persons', id: TEO.id, name: TEO.name, givenName: 'Teo', surname: 'Álvarez', email: TEO.email, expertise: ['remote sensing', 'time series'], languages: ['es', 'en'], memberOf: [{ type: 'organisations', id: TIERRA.id }] },

  published('datasets', { id: 'seed-dataset-floating-litter-2023', name: 'Floating litter transects, North Atlantic 2023', description: 'Counts and sizes of floating plastic items observed along 212 ship transects in the North Atlantic, June–September 2023.', keywords: ['marine litter', 'plastic', 'ocean', 'survey'], creators: [MARA, NSML] }, {
    license: 'CC-BY-4.0',
    version: '1.1.0',
    datePublished: '2024-02-12',
    contacts: [MARA],
    platform: 'zenodo',
    platformResourceIdentifier: '10.5281/zenodo.8812403',
    sameAs: 'https://zenodo.org/records/8812403',
    distributions: [
      { name: 'transects.csv', contentUrl: 'https://zenodo.org/records/8812403/files/transects.csv', contentSizeBytes: 1843211, encodingFormat: 'text/csv', checksum: '5d41402abc4b2a76b9719d911017c592', checksumAlgorithm: 'md5' },
      { name: 'items.parquet', contentUrl: 'https://zenodo.org/records/8812403/files/items.parquet', contentSizeBytes: 9120331, encodingFormat: 'application/vnd.apache.parquet', checksum: 'a3f1c2e4b5d6978877665544332211ffeeddccbbaa99887766554433221100ff', checksumAlgorithm: 'sha256' },
    ],
    size: { value: 48211, unit: 'rows' },
    measurementTechnique: ['visual observation from ship bow', 'GPS track logging'],
    temporalCoverage: { startDate: '2023-06-01', endDate: '2023-09-30' },
    spatialCoverage: { name: 'North Atlantic', box: { south: 30, west: -45, north: 55, east: -10 } },
    applicationArea: ['environmental monitoring'],
    researchArea: ['oceanography'],
  }),
  published('datasets', { id: 'seed-dataset-beach-litter-images', name: 'Beach litter images with bounding boxes', keywords: ['marine litter', 'object detection', 'images'], creators: [MARA] }, {
    description: { plain: '3,900 photographs of beaches with 21,400 bounding boxes in 12 litter categories.', html: '<p>3,900 photographs of beaches with <b>21,400</b> bounding boxes in 12 litter categories.</p>' },
    license: 'CC-BY-SA-4.0',
    version: '2.0.0',
    datePublished: '2024-06-03',
    contacts: [NSML],
    platform: 'huggingface',
    platformResourceIdentifier: 'northsea-ml/beach-litter-v2',
    sameAs: 'https://huggingface.co/datasets/northsea-ml/beach-litter-v2',
    distributions: [
      { name: 'images.zip', contentUrl: 'https://huggingface.co/datasets/northsea-ml/beach-litter-v2/resolve/main/images.zip', contentSizeBytes: 2147483648, encodingFormat: 'application/zip', checksum: '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0', checksumAlgorithm: 'sha256' },
      { name: 'annotations.json', contentUrl: 'https://huggingface.co/datasets/northsea-ml/beach-litter-v2/resolve/main/annotations.json', contentSizeBytes: 18233120, encodingFormat: 'application/json' },
    ],
    size: { value: 3900, unit: 'images' },
    measurementTechnique: ['smartphone photography'],
    applicationArea: ['environmental monitoring'],
  }),
  published('datasets', { id: 'seed-dataset-soil-moisture-iberia', name: 'Daily soil moisture, Iberian Peninsula 2015–2022', description: 'Gridded daily surface soil moisture at 1 km, derived from satellite radiometry and station data.', keywords: ['soil moisture', 'remote sensing', 'time series'], creators: [TEO, TIERRA] }, {
    license: 'CC0-1.0',
    datePublished: '2023-04-20',
    contacts: [TEO],
    platform: 'openml',
    platformResourceIdentifier: '46021',
    sameAs: 'https://www.openml.org/d/46021',
    distributions: [{ name: 'soil_moisture.arff', contentUrl: 'https://www.openml.org/data/download/46021/soil_moisture.arff', contentSizeBytes: 73400320, encodingFormat: 'text/plain', checksum: '9e107d9d372bb6826bd81d3542a419d6', checksumAlgorithm: 'md5' }],
    size: { value: 2920, unit: 'days' },
    temporalCoverage: { startDate: '2015-01-01', endDate: '2022-12-31' },
    spatialCoverage: { name: 'Iberian Peninsula', box: { south: 36, west: -9.5, north: 43.8, east: 3.3 } },
    researchArea: ['hydrology', 'earth observation'],
  }),

  published('models', { id: 'seed-model-litter-detector', name: 'Floating litter detector (YOLO, nano)', description: 'Detects floating plastic items in ship-mounted camera frames; 12 categories; mAP50 0.71 on the held-out set.', keywords: ['object detection', 'marine litter'], creators: [MARA] }, {
    license: 'AGPL-3.0-only',
    version: '1.3.0',
    datePublished: '2024-07-01',
    contacts: [MARA],
    platform: 'huggingface',
    platformResourceIdentifier: 'northsea-ml/litter-yolo-n',
    sameAs: 'https://huggingface.co/northsea-ml/litter-yolo-n',
    modelType: 'object-detection',
    framework: ['pytorch', 'ultralytics'],
    trainedOn: [{ type: 'datasets', id: 'seed-dataset-beach-litter-images' }],
    distributions: [{ name: 'litter-yolo-n.onnx', contentUrl: 'https://huggingface.co/northsea-ml/litter-yolo-n/resolve/main/litter-yolo-n.onnx', contentSizeBytes: 12582912, encodingFormat: 'application/octet-stream', checksum: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae', checksumAlgorithm: 'sha256' }],
  }),
  published('models', { id: 'seed-model-soil-moisture-gbm', name: 'Soil moisture nowcast (gradient boosting)', description: 'Predicts next-day surface soil moisture from the last seven days of observations and precipitation.', keywords: ['regression', 'soil moisture'], creators: [TEO] }, {
    license: 'MIT',
    version: '0.4.2',
    modelType: 'regression',
    framework: ['lightgbm'],
    trainedOn: [{ type: 'datasets', id: 'seed-dataset-soil-moisture-iberia' }],
    inputSchema: { type: 'object', required: ['moisture7d', 'precipitation7d'], properties: { moisture7d: { type: 'array', items: { type: 'number' }, minItems: 7, maxItems: 7 }, precipitation7d: { type: 'array', items: { type: 'number' }, minItems: 7, maxItems: 7 } } },
    outputSchema: { type: 'object', required: ['moisture'], properties: { moisture: { type: 'number', minimum: 0, maximum: 1 } } },
    distributions: [{ name: 'model.txt', contentUrl: 'https://tierra-lab.example/models/soil-gbm/0.4.2/model.txt', contentSizeBytes: 402113, encodingFormat: 'text/plain' }],
  }),

  published('publications', { id: 'seed-publication-litter-survey', name: 'Ship-based monitoring of floating litter with low-cost cameras', description: 'We describe the survey protocol and the detector used to build the 2023 North Atlantic transect dataset.', keywords: ['marine litter', 'monitoring'], creators: [MARA, NSML] }, {
    license: 'CC-BY-4.0',
    datePublished: '2024-03-18',
    publicationType: 'journal-article',
    journal: 'Marine Pollution Methods',
    issn: '2049-1239',
    permanentIdentifier: 'https://doi.org/10.9999/mpm.2024.0031',
    hasPart: [{ type: 'datasets', id: 'seed-dataset-floating-litter-2023' }],
    distributions: [{ name: 'paper.pdf', contentUrl: 'https://northsea-ml.example/papers/mpm-2024-0031.pdf', encodingFormat: 'application/pdf' }],
  }),
  published('publications', { id: 'seed-publication-soil-nowcast', name: 'Nowcasting soil moisture from sparse stations and satellite radiometry', keywords: ['soil moisture', 'gradient boosting'], creators: [TEO] }, {
    datePublished: '2023-11-07',
    publicationType: 'conference-paper',
    permanentIdentifier: 'https://doi.org/10.9999/eo-ml.2023.117',
    distributions: [{ name: 'preprint.pdf', contentUrl: 'https://tierra-lab.example/papers/eo-ml-2023-117.pdf', encodingFormat: 'application/pdf' }],
  }),

  published('services', { id: 'seed-service-label-store', name: 'Litter label store', description: 'Upload image sets, draw bounding boxes, and export COCO; model-assisted labelling included.', keywords: ['labelling', 'COCO'], creators: [NSML] }, {
    slogan: 'Label once, train everywhere.',
    endpointUrl: 'https://labels.northsea-ml.example/api',
    termsOfService: 'https://labels.northsea-ml.example/terms',
    contacts: [MARA],
    distributions: [{ name: 'openapi.json', contentUrl: 'https://labels.northsea-ml.example/api/openapi.json', encodingFormat: 'application/json' }],
  }),
  published('services', { id: 'seed-service-eo-notebooks', name: 'Earth observation notebooks', description: 'Hosted Jupyter notebooks with GPU and preloaded satellite archives.', keywords: ['notebooks', 'earth observation'], creators: [TIERRA] }, {
    endpointUrl: 'https://notebooks.tierra-lab.example',
    dockerImage: 'registry.tierra-lab.example/eo-notebook:2024.05',
    distributions: [{ name: 'eo-notebook image manifest', contentUrl: 'https://registry.tierra-lab.example/v2/eo-notebook/manifests/2024.05', encodingFormat: 'application/json' }],
  }),

  published('experiments', { id: 'seed-experiment-detector-ablation', name: 'Detector input-resolution ablation', description: 'mAP of the litter detector at 320, 480 and 640 px inputs, three seeds each.', keywords: ['ablation', 'object detection'], creators: [MARA] }, {
    experimentalWorkflow: 'Train on beach-litter-v2 train split; evaluate on the held-out split; three seeds per resolution.',
    executionSettings: '1× A100 40 GB, batch 64, 150 epochs, SGD, cosine schedule.',
    reproducibilityExplanation: 'Seeds, configs and container digest are in the attached archive.',
    badges: ['artifacts-available'],
    uses: [
      { type: 'datasets', id: 'seed-dataset-beach-litter-images' },
      { type: 'models', id: 'seed-model-litter-detector' },
    ],
    distributions: [{ name: 'runs.tar.gz', contentUrl: 'https://northsea-ml.example/experiments/ablation-2024/runs.tar.gz', contentSizeBytes: 51234567, encodingFormat: 'application/gzip', checksum: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', checksumAlgorithm: 'sha256' }],
  }),
];

export const catalogueSeeder: Seeder = {
  name: 'catalogue',
  async run() {
    let changed = 0;
    for (const { type, ...entry } of CATALOGUE_SEED) {
      if ((await upsertEntryAsSystem(type, entry)).changed) changed++;
    }
    return `${CATALOGUE_SEED.length} entries (${changed} written)`;
  },
};
