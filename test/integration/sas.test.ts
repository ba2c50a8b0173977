import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { BlobServiceClient, newPipeline, type RequestPolicy, type WebResource } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobServiceClient } from '../../shared/azure/blob';
import { accountKeySigner, resetSasSigner, type SasSigner, sasSigner, userDelegationSigner } from '../../shared/azure/sas';
import { config } from '../../shared/config';
import { imagesetContainer, newId } from '../../shared/labels/ids';
import { AZURITE_ACCOUNT, AZURITE_KEY, AZURITE_LISTENING, announcement } from '../../local/emulators';
import { pngImage } from '../support/images';
import { useStackSettings } from '../support/stack-env';

/**
 * The SAS limits, proven by trying them against Azurite: an upload token can create and write blobs
 * in its own imageset's container and do nothing else; a read token reads one blob. Both signers:
 * the account-key signer against the stack's Azurite, and the user delegation signer against a
 * second Azurite started here with `--oauth basic` over HTTPS, where `getUserDelegationKey` accepts
 * an unsigned test JWT.
 */
interface HttpResult {
  status: number;
  body: Buffer;
}

type Send = (url: string, method: string, body?: Buffer, headers?: Record<string, string>) => Promise<HttpResult>;

interface Setup {
  name: string;
  signer: () => SasSigner;
  /** A signer whose tokens are already expired (its clock runs two hours behind). */
  expiredSigner: () => SasSigner;
  admin: () => BlobServiceClient;
  send: Send;
}

const fetchSend: Send = async (url, method, body, headers = {}) => {
  const response = await fetch(url, { method, body, headers });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
};

function put(send: Send, url: string, body: Buffer): Promise<HttpResult> {
  return send(url, 'PUT', body, { 'x-ms-blob-type': 'BlockBlob', 'Content-Type': 'image/png' });
}

/** The container SAS URL with a blob name inserted before the query. */
function blobIn(containerSasUrl: string, blobName: string, extraQuery = ''): string {
  const url = new URL(containerSasUrl);
  url.pathname += `/${blobName}`;
  return `${url.toString()}${extraQuery}`;
}

function listUrl(containerSasUrl: string): string {
  const url = new URL(containerSasUrl);
  url.searchParams.set('restype', 'container');
  url.searchParams.set('comp', 'list');
  return url.toString();
}

// --- the account-key signer: the stack's Azurite --------------------------------------------------

const accountKey: Setup = {
  name: 'account-key signer (stack Azurite)',
  signer: () => sasSigner(),
  expiredSigner: () =>
    accountKeySigner({
      serviceUrl: blobServiceClient().url,
      accountName: AZURITE_ACCOUNT,
      accountKey: AZURITE_KEY,
      clock: () => Date.now() - 2 * 3_600_000,
    }),
  admin: () => blobServiceClient(),
  send: fetchSend,
};

// --- the user delegation signer: a second Azurite with OAuth over HTTPS ---------------------------

let oauthAzurite: ChildProcess | undefined;
let oauthUrl = '';
let oauthClient: BlobServiceClient | undefined;
let delegationKeyRequests = 0;
let tlsDir = '';
let httpsAgent: https.Agent | undefined;

/** An unsigned JWT Azurite's `--oauth basic` accepts: right audience and issuer, valid times. */
function testJwt(): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const tenant = '00000000-0000-0000-0000-0000000000aa';
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode({
    aud: 'https://storage.azure.com',
    iss: `https://sts.windows.net/${tenant}/`,
    iat: now,
    nbf: now - 60,
    exp: now + 3600,
    oid: '11111111-2222-3333-4444-555555555555',
    tid: tenant,
  })}.`;
}

/** The managed identity's stand-in: a TokenCredential returning the test JWT. */
const testCredential: TokenCredential = {
  async getToken(): Promise<AccessToken> {
    return { token: testJwt(), expiresOnTimestamp: Date.now() + 3_600_000 };
  },
};

/** A self-signed certificate for 127.0.0.1 (openssl), or the Cosmos server's bundled one. */
function certificate(): { cert: string; key: string; trusted: boolean } {
  tlsDir = mkdtempSync(path.join(tmpdir(), 'azurite-tls-'));
  const cert = path.join(tlsDir, 'cert.pem');
  const key = path.join(tlsDir, 'key.pem');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    return { cert, key, trusted: true };
  } catch {
    const bundled = path.dirname(createRequire(import.meta.url).resolve('@vercel/cosmosdb-server/package.json'));
    return { cert: path.join(bundled, 'cert.pem'), key: path.join(bundled, 'key.pem'), trusted: false };
  }
}

async function startOauthAzurite(): Promise<void> {
  const { cert, key, trusted } = certificate();
  const main = createRequire(import.meta.url).resolve('azurite/dist/src/blob/main.js');
  oauthAzurite = spawn(
    process.execPath,
    [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--silent', '--skipApiVersionCheck', '--disableTelemetry', '--oauth', 'basic', '--cert', cert, '--key', key],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const port = Number((await announcement(oauthAzurite, AZURITE_LISTENING, 'the OAuth Azurite'))[1]);
  httpsAgent = trusted ? new https.Agent({ ca: readFileSync(cert), keepAlive: true }) : new https.Agent({ rejectUnauthorized: false, keepAlive: true });
  oauthUrl = `https://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  // The SDK opens its own TLS connections: a policy hands it the agent that trusts the test certificate.
  const pipeline = newPipeline(testCredential);
  const agent = httpsAgent;
  pipeline.factories.unshift({
    create: (next: RequestPolicy): RequestPolicy => ({
      sendRequest: (request: WebResource) => {
        request.agent = agent;
        return next.sendRequest(request);
      },
    }),
  });
  const client = new BlobServiceClient(oauthUrl, pipeline);
  // Count the key requests the signer makes (the cache is what is under test), without replacing anything.
  oauthClient = new Proxy(client, {
    get(target, property, receiver) {
      if (property === 'getUserDelegationKey') {
        return (...args: Parameters<BlobServiceClient['getUserDelegationKey']>) => {
          delegationKeyRequests++;
          return target.getUserDelegationKey(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

const httpsSend: Send = (url, method, body, headers = {}) =>
  new Promise((resolve, reject) => {
    const request = https.request(url, { method, agent: httpsAgent, headers: { ...headers, 'Content-Length': String(body?.length ?? 0) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end(body);
  });

let delegationSigner: SasSigner | undefined;

const userDelegation: Setup = {
  name: 'user delegation signer (Azurite --oauth basic, HTTPS)',
  signer: () => {
    delegationSigner ??= userDelegationSigner(oauthClient as BlobServiceClient);
    return delegationSigner;
  },
  expiredSigner: () => userDelegationSigner(oauthClient as BlobServiceClient, { clock: () => Date.now() - 2 * 3_600_000 }),
  admin: () => oauthClient as BlobServiceClient,
  send: httpsSend,
};

beforeAll(async () => {
  useStackSettings();
  resetSasSigner();
  await startOauthAzurite();
}, 60_000);

afterAll(async () => {
  oauthAzurite?.kill();
  httpsAgent?.destroy();
  if (tlsDir && existsSync(tlsDir)) rmSync(tlsDir, { recursive: true, force: true });
});

describe.each([accountKey, userDelegation])('$name', (setup) => {
  const imagesetA = newId();
  const imagesetB = newId();
  const image = pngImage(16, 16, 1);

  beforeAll(async () => {
    await setup.admin().getContainerClient(imagesetContainer(imagesetA)).create();
    await setup.admin().getContainerClient(imagesetContainer(imagesetB)).create();
    await setup.admin().getContainerClient(imagesetContainer(imagesetB)).getBlockBlobClient('existing.png').uploadData(image);
  });

  async function uploadToken() {
    return setup.signer().uploadUrl(imagesetContainer(imagesetA), 3_600);
  }

  it('issues an upload token that can only create and write (sp=cw), starting 10 minutes in the past', async () => {
    const sut = await uploadToken();
    const query = new URL(sut.url).searchParams;
    expect(query.get('sp')).toBe('cw');
    expect(query.get('sr')).toBe('c');
    expect(Date.parse(query.get('st') ?? '')).toBeLessThanOrEqual(Date.now() - 9 * 60_000);
    expect(sut.expiresOn.getTime()).toBeGreaterThan(Date.now() + 3_500_000);
  });

  it('accepts an upload with the token', async () => {
    const sut = await put(setup.send, blobIn((await uploadToken()).url, 'photos/one.png'), image);
    expect(sut.status, sut.body.toString()).toBe(201);
    const stored = await setup.admin().getContainerClient(imagesetContainer(imagesetA)).getBlobClient('photos/one.png').downloadToBuffer();
    expect(stored.equals(image)).toBe(true);
  });

  it('accepts overwriting a blob it uploaded (write)', async () => {
    const url = blobIn((await uploadToken()).url, 'again.png');
    expect((await put(setup.send, url, image)).status).toBe(201);
    expect((await put(setup.send, url, pngImage(8, 8, 2))).status).toBe(201);
  });

  it('refuses to read a blob with the upload token (403)', async () => {
    const url = blobIn((await uploadToken()).url, 'read-me.png');
    expect((await put(setup.send, url, image)).status).toBe(201);
    expect((await setup.send(url, 'GET')).status).toBe(403);
    expect((await setup.send(url, 'HEAD')).status).toBe(403);
  });

  it('refuses to list the container with the upload token (403)', async () => {
    expect((await setup.send(listUrl((await uploadToken()).url), 'GET')).status).toBe(403);
  });

  it('refuses to delete a blob with the upload token (403)', async () => {
    const url = blobIn((await uploadToken()).url, 'keep-me.png');
    expect((await put(setup.send, url, image)).status).toBe(201);
    expect((await setup.send(url, 'DELETE')).status).toBe(403);
    expect(await setup.admin().getContainerClient(imagesetContainer(imagesetA)).getBlobClient('keep-me.png').exists()).toBe(true);
  });

  it('refuses a token for imageset A writing into imageset B (403)', async () => {
    const tokenA = new URL((await uploadToken()).url);
    const intoB = `${tokenA.origin}${tokenA.pathname.replace(imagesetContainer(imagesetA), imagesetContainer(imagesetB))}/intruder.png${tokenA.search}`;
    expect((await put(setup.send, intoB, image)).status).toBe(403);
    const overwriteB = `${tokenA.origin}${tokenA.pathname.replace(imagesetContainer(imagesetA), imagesetContainer(imagesetB))}/existing.png${tokenA.search}`;
    expect((await put(setup.send, overwriteB, pngImage(4, 4))).status).toBe(403);
    expect(await setup.admin().getContainerClient(imagesetContainer(imagesetB)).getBlobClient('intruder.png').exists()).toBe(false);
  });

  it('refuses an upload with an expired token (403)', async () => {
    const expired = await setup.expiredSigner().uploadUrl(imagesetContainer(imagesetA), 60);
    expect(expired.expiresOn.getTime()).toBeLessThan(Date.now());
    expect((await put(setup.send, blobIn(expired.url, 'late.png'), image)).status).toBe(403);
  });

  it('refuses a token whose signature was tampered with (403)', async () => {
    const url = new URL((await uploadToken()).url);
    url.searchParams.set('sp', 'racwdl');
    expect((await put(setup.send, blobIn(url.toString(), 'escalated.png'), image)).status).toBe(403);
  });

  it('issues a read token that reads its blob and nothing else', async () => {
    const sut = await setup.signer().readUrl(imagesetContainer(imagesetB), 'existing.png', 300);
    expect(new URL(sut.url).searchParams.get('sp')).toBe('r');
    const read = await setup.send(sut.url, 'GET');
    expect(read.status).toBe(200);
    expect(read.body.equals(image)).toBe(true);
    expect((await put(setup.send, sut.url, pngImage(4, 4))).status).toBe(403);
    expect((await setup.send(sut.url, 'DELETE')).status).toBe(403);
    const other = new URL(sut.url);
    other.pathname = other.pathname.replace('existing.png', 'other.png');
    expect((await setup.send(other.toString(), 'GET')).status).toBe(403);
  });
});

describe('user delegation key cache', () => {
  it('fetches one key for many tokens and a new one only near expiry', async () => {
    let now = Date.now();
    const sut = userDelegationSigner(oauthClient as BlobServiceClient, { keyValiditySeconds: 3_600, clock: () => now });
    const before = delegationKeyRequests;
    await sut.uploadUrl('c-one', 600);
    await sut.readUrl('c-one', 'a.png', 600);
    await Promise.all([sut.readUrl('c-two', 'b.png', 60), sut.readUrl('c-two', 'c.png', 60)]);
    expect(delegationKeyRequests - before).toBe(1);
    now += 54 * 60_000; // 6 minutes before the key expires: still served from the cache
    await sut.readUrl('c-one', 'a.png', 60);
    expect(delegationKeyRequests - before).toBe(1);
    now += 2 * 60_000; // 4 minutes before: within the 5-minute margin, so a fresh key
    await sut.readUrl('c-one', 'a.png', 60);
    expect(delegationKeyRequests - before).toBe(2);
  });

  it('never signs a token past its key: a 7-day upload token gets a key that long', async () => {
    const sut = userDelegationSigner(oauthClient as BlobServiceClient, { keyValiditySeconds: 3_600 });
    const token = await sut.uploadUrl('c-long', 7 * 86_400);
    const query = new URL(token.url).searchParams;
    const keyExpiry = Date.parse(query.get('ske') ?? '');
    expect(Date.parse(query.get('se') ?? '')).toBeLessThanOrEqual(keyExpiry);
    expect(token.expiresOn.getTime()).toBeGreaterThan(Date.now() + 6.9 * 86_400_000);
  });
});

describe('sasSigner()', () => {
  it('is the account-key signer with the emulator connection string, allowing HTTP only on loopback', async () => {
    expect(config().storage.sasSigner).toBe('accountKey');
    expect(sasSigner().kind).toBe('accountKey');
    expect(new URL((await sasSigner().uploadUrl('abc', 60)).url).searchParams.get('spr')).toBe('https,http');
    const azure = accountKeySigner({ serviceUrl: 'https://acct.blob.core.windows.net', accountName: 'acct', accountKey: AZURITE_KEY });
    expect(new URL((await azure.uploadUrl('abc', 60)).url).searchParams.get('spr')).toBe('https');
  });
});
