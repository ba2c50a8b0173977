import { describe, expect, it } from 'vitest';
import { adminKey, baseUrl } from '../support/api';
import { RawConnection } from '../support/raw-http';

/**
 * A body is read only after the caller is authenticated and only up to the operation's limit:
 * six anonymous 95 MiB POSTs once held 2 GB of memory. These requests declare a large body and
 * send almost none of it, so an answer proves nothing waited for the rest.
 */
async function answerTo(head: string, sent: Buffer): Promise<{ status: number; headers: Record<string, string> }> {
  const connection = await RawConnection.open(baseUrl());
  await connection.write(head);
  await connection.write(sent);
  const answer = await connection.answer();
  connection.close();
  return answer;
}

const host = () => new URL(baseUrl()).host;

describe('POST /api/v1/api-keys with a large body', () => {
  it('refuses an anonymous caller with 401 before the body has arrived', async () => {
    const sut = await answerTo(
      `POST /api/v1/api-keys HTTP/1.1\r\nHost: ${host()}\r\nContent-Type: application/json\r\nContent-Length: ${95 * 1024 * 1024}\r\n\r\n`,
      Buffer.from('{"name":"'),
    );
    expect(sut.status).toBe(401);
    expect(sut.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('refuses a body declared over the limit with 413 before it has arrived, even to an admin', async () => {
    const sut = await answerTo(
      `POST /api/v1/api-keys HTTP/1.1\r\nHost: ${host()}\r\nX-API-Key: ${adminKey()}\r\nContent-Type: application/json\r\nContent-Length: ${2 * 1024 * 1024}\r\n\r\n`,
      Buffer.from('{"name":"'),
    );
    expect(sut.status).toBe(413);
    expect(sut.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
