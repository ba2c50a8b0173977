import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, REQUIRED_AZURE_SETTINGS, settingsSchema } from '../../shared/config';

const local = {
  COSMOS: 'AccountEndpoint=https://127.0.0.1:8081/;AccountKey=a2V5;',
  STORAGE: 'UseDevelopmentStorage=true',
  SERVICEBUS: 'UseDevelopmentHost=true',
};

const azure = {
  COSMOS__accountEndpoint: 'https://acct.documents.azure.com:443/',
  STORAGE__blobServiceUri: 'https://acct.blob.core.windows.net',
  SERVICEBUS__fullyQualifiedNamespace: 'ns.servicebus.windows.net',
  AUTH_OIDC_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
  AUTH_OIDC_AUDIENCE: 'api://ml',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('parseConfig', () => {
  it('reads emulator connection strings with the documented defaults', () => {
    const sut = parseConfig(local);
    expect(sut.cosmos).toMatchObject({ kind: 'connectionString', database: 'mlassets' });
    expect(sut.storage).toMatchObject({ kind: 'connectionString', sasSigner: 'accountKey' });
    expect(sut.serviceBus).toEqual({ kind: 'developmentHost', queue: 'jobs' });
    expect(sut.sas.uploadTokenTtlSeconds).toBe(3_600);
    expect(sut.http.maxBodyBytes).toBe(1_048_576);
    expect(sut.auth.oidc).toBeUndefined();
  });

  it('reads identity-based settings and signs SAS with user delegation', () => {
    const sut = parseConfig(azure);
    expect(sut.cosmos).toMatchObject({ kind: 'identity', endpoint: azure.COSMOS__accountEndpoint });
    expect(sut.storage).toMatchObject({ kind: 'identity', sasSigner: 'userDelegation' });
    expect(sut.serviceBus).toMatchObject({ kind: 'identity', endpoint: 'ns.servicebus.windows.net' });
    expect(sut.auth.oidc).toEqual({ issuer: azure.AUTH_OIDC_ISSUER, audience: 'api://ml', jwksUri: undefined });
  });

  it('names every missing connection', () => {
    const problems = problemsOf({});
    expect(problems.join('\n')).toMatch(/COSMOS/);
    expect(problems.join('\n')).toMatch(/STORAGE/);
    expect(problems.join('\n')).toMatch(/SERVICEBUS/);
  });

  it('names a malformed setting', () => {
    expect(problemsOf({ ...local, IMAGESET_UPLOAD_TOKEN_TTL: 'a week' })).toEqual([
      expect.stringMatching(/^IMAGESET_UPLOAD_TOKEN_TTL: .*a week/),
    ]);
    expect(problemsOf({ ...local, COSMOS__accountEndpoint: 'not a url' })[0]).toMatch(/^COSMOS__accountEndpoint/);
    expect(problemsOf({ ...local, MAX_BODY_BYTES: '-1' })[0]).toMatch(/^MAX_BODY_BYTES/);
  });

  it('parses durations in seconds, minutes, hours and days', () => {
    expect(parseConfig({ ...local, IMAGE_READ_TOKEN_TTL: '15m' }).sas.readTokenTtlSeconds).toBe(900);
    expect(parseConfig({ ...local, IMAGE_READ_TOKEN_TTL: '2h' }).sas.readTokenTtlSeconds).toBe(7_200);
    expect(parseConfig({ ...local, IMAGE_READ_TOKEN_TTL: '45' }).sas.readTokenTtlSeconds).toBe(45);
  });

  it('re-sends the message of a job still queued after 5 minutes unless JOBS_REQUEUE_AFTER says otherwise', () => {
    expect(parseConfig(local).jobs.requeueAfterSeconds).toBe(300);
    expect(parseConfig({ ...local, JOBS_REQUEUE_AFTER: '15m' }).jobs.requeueAfterSeconds).toBe(900);
    expect(problemsOf({ ...local, JOBS_REQUEUE_AFTER: 'soon' })[0]).toMatch(/^JOBS_REQUEUE_AFTER/);
  });

  it('refuses an OIDC issuer without an audience', () => {
    expect(problemsOf({ ...local, AUTH_OIDC_ISSUER: 'https://issuer.example' })[0]).toMatch(/AUTH_OIDC_AUDIENCE/);
  });

  it('refuses account-key SAS without an account key', () => {
    expect(problemsOf({ ...azure, SAS_SIGNER: 'accountKey' })[0]).toMatch(/^SAS_SIGNER/);
  });

  it('reads every setting Azure must provide, except those only the SDKs and the host read', () => {
    const readByOthers = ['AZURE_TOKEN_CREDENTIALS', 'SERVICEBUS__credential', 'SERVICEBUS__clientId'];
    const known = Object.keys(settingsSchema.shape);
    expect(REQUIRED_AZURE_SETTINGS.filter((name) => !readByOthers.includes(name) && !known.includes(name))).toEqual([]);
  });
});
