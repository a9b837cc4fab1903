// A typed client for the Berth API: openapi-fetch over the types generated from openapi/openapi.json
// (schema.ts, `npm run client`). Every path, parameter, body and response is checked by the compiler.
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export type BerthClient = Client<paths>;
export type Schemas = components['schemas'];

/** An RFC 9457 problem+json body as Berth sends it; limits and quotas add their own fields. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  [field: string]: unknown;
}

export interface BerthClientOptions {
  /** e.g. http://127.0.0.1:3000 (no /v1: the paths carry it). */
  baseUrl: string;
  /** An access JWT or an API key (brk_…), read before every request so a refreshed token is used at once. */
  credentials?: () => string | undefined | Promise<string | undefined>;
  fetch?: typeof fetch;
}

export function createBerthClient(options: BerthClientOptions): BerthClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: options.fetch });
  const { credentials } = options;
  if (credentials) {
    const bearer: Middleware = {
      async onRequest({ request }) {
        const token = await credentials();
        if (token && !request.headers.has('authorization'))
          request.headers.set('authorization', `Bearer ${token}`);
        return request;
      },
    };
    client.use(bearer);
  }
  return client;
}

export function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as Problem).title === 'string';
}
