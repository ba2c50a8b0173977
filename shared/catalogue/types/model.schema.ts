import { z } from 'zod';
import { config } from '../../config';
import { jsonSchemaIssues } from '../../inference/json-schema';
import { unescapePointerPart } from '../../json/pointer';
import { defineCatalogueType, EntryRef, freeformObject, httpUrl, list, shortText } from '../catalogue.schema';

const settingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'is not an app setting name');

/**
 * The only app settings an `http` model may take its key from: otherwise an admin could make the
 * platform send any setting (a connection string, another service's secret) to the model's URL.
 */
export const MODEL_SECRET_PREFIX = 'MODEL_SECRET_';

/** How the platform runs a model: a model shipped with the app, or a remote scoring endpoint. */
export const ModelRuntime = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('builtin'), name: shortText(100).describe('A model shipped with the app, e.g. `iris-classifier`.') }),
    z.strictObject({
      kind: z.literal('http'),
      url: httpUrl.describe('The scoring endpoint (e.g. an Azure ML online endpoint).'),
      auth: z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('key'),
          header: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'is not a header name').optional(),
          secretSetting: settingName.describe(`The app setting that holds the key (never the key itself); its name starts with \`${MODEL_SECRET_PREFIX}\`.`),
        }),
        z.strictObject({
          kind: z.literal('entra'),
          scope: shortText(500).describe('The token scope, e.g. `https://ml.azure.com/.default`; one the MODEL_ENTRA_SCOPES_ALLOWED setting names.'),
        }),
      ]),
    }),
  ])
  .meta({ id: 'CatalogueModelRuntime' });
export type ModelRuntime = z.infer<typeof ModelRuntime>;

/**
 * A JSON Schema document the platform can apply: valid against its meta-schema, and every pattern
 * runnable on RE2 (refused here, naming it, rather than when someone's job first meets it).
 */
export const JsonSchemaObject = freeformObject()
  .superRefine((schema, ctx) => {
    for (const issue of jsonSchemaIssues(schema)) {
      ctx.addIssue({ code: 'custom', path: issue.pointer.split('/').slice(1).map(unescapePointerPart), message: issue.message });
    }
  })
  .meta({ id: 'JsonSchemaObject' });

export const modelType = defineCatalogueType({
  name: 'models',
  singular: 'Model',
  description: 'A trained machine-learning model, optionally runnable by the platform’s inference jobs.',
  writeRoles: ['contributor'],
  // On writes only: entries stored before these rules stay readable, and the runtime refuses them.
  refine: (value, ctx) => {
    // zod may run this on a value whose other checks failed: only a well-formed runtime is judged.
    const parsed = ModelRuntime.safeParse(value.runtime);
    if (!parsed.success || parsed.data.kind !== 'http') return;
    const auth = parsed.data.auth;
    if (auth.kind === 'key' && !(auth.secretSetting.startsWith(MODEL_SECRET_PREFIX) && auth.secretSetting.length > MODEL_SECRET_PREFIX.length)) {
      ctx.addIssue({ code: 'custom', path: ['runtime', 'auth', 'secretSetting'], message: `must name an app setting starting with ${MODEL_SECRET_PREFIX}` });
    }
    if (auth.kind === 'entra' && !config().models.entraScopesAllowed.includes(auth.scope)) {
      ctx.addIssue({ code: 'custom', path: ['runtime', 'auth', 'scope'], message: 'is not a scope the MODEL_ENTRA_SCOPES_ALLOWED setting allows' });
    }
  },
  fields: {
    modelType: shortText(100).optional().describe('The task: `classification`, `object-detection`, `regression`, …'),
    framework: list(shortText(100), 20).optional().describe('Libraries: `scikit-learn`, `pytorch`, …'),
    runtime: ModelRuntime.optional().describe('How inference jobs run this model. Only admins may set an `http` runtime.'),
    inputSchema: JsonSchemaObject.optional().describe('JSON Schema of one inference input.'),
    outputSchema: JsonSchemaObject.optional().describe('JSON Schema of one inference output.'),
    trainedOn: list(EntryRef, 50).optional().describe('Datasets the model was trained on.'),
    sourceCode: httpUrl.optional(),
    dockerImage: shortText(300).optional(),
  },
});
