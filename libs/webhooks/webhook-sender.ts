import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { refusedAddress, type EgressRules } from './egress-address.js';

/** Response bytes read at most (then the socket is dropped): a receiver cannot make Berth hold its body. */
const RESPONSE_BYTES_KEPT = 512;

export interface SendOutcome {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs one delivery. The host name is resolved once and every address checked (egress-address.ts);
 * the connection then uses the checked address through a `lookup` that returns only it, so a second DNS
 * answer (rebinding) cannot move the request elsewhere. TLS still verifies the certificate for the name.
 */
export async function sendDelivery(input: {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  rules: EgressRules;
}): Promise<SendOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const url = new URL(input.url);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  let pinned: { address: string; family: number };
  try {
    const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
    for (const candidate of addresses) {
      const refused = refusedAddress(candidate.address, input.rules);
      if (refused) return { statusCode: null, error: `refused: ${refused}`, durationMs: elapsed() };
    }
    const first = addresses[0];
    if (!first) return { statusCode: null, error: `no address for ${hostname}`, durationMs: elapsed() };
    pinned = first;
  } catch (err) {
    return { statusCode: null, error: `dns: ${(err as Error).message}`.slice(0, 300), durationMs: elapsed() };
  }
  const lookup: LookupFunction = (_host, options, callback) => {
    if (options.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<SendOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<SendOutcome, 'durationMs'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...outcome, durationMs: elapsed() });
    };
    const request = transport.request(
      url,
      {
        method: 'POST',
        lookup,
        agent: false,
        timeout: input.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(input.body)),
          'user-agent': 'Berth-Webhooks/1',
          ...input.headers,
        },
      },
      (response) => {
        let kept = 0;
        response.on('data', (chunk: Buffer) => {
          kept += chunk.length;
          if (kept > RESPONSE_BYTES_KEPT) response.destroy();
        });
        const done = (): void => finish({ statusCode: response.statusCode ?? null, error: null });
        response.on('end', done);
        response.on('close', done);
        response.on('error', done);
      },
    );
    // The whole exchange is bounded, not only socket idleness: a receiver trickling bytes still ends.
    const deadline = setTimeout(() => {
      request.destroy(new Error(`timed out after ${input.timeoutMs} ms`));
    }, input.timeoutMs);
    request.on('timeout', () => request.destroy(new Error(`timed out after ${input.timeoutMs} ms`)));
    request.on('error', (err) => finish({ statusCode: null, error: err.message.slice(0, 300) }));
    request.on('close', () => {
      clearTimeout(deadline);
      finish({ statusCode: null, error: 'connection closed without a response' });
    });
    request.end(input.body);
  });
}
