/**
 * Hostile requests derived from openapi/openapi.json with a seeded PRNG (mulberry32): the same seed gives the
 * same requests, so a finding replays. Pure: it builds request descriptions; the e2e test sends them.
 */

export interface OpenApiSchema {
  type?: string;
  $ref?: string;
  properties?: Record<string, OpenApiSchema>;
  items?: OpenApiSchema;
  enum?: unknown[];
  allOf?: OpenApiSchema[];
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: OpenApiSchema;
}

export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  jsonBody: OpenApiSchema | null;
  binaryBody: boolean;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema?: OpenApiSchema }> } }
    >
  >;
  components?: { schemas?: Record<string, OpenApiSchema> };
}

export interface FuzzRequest {
  method: string;
  /** The path with its parameters filled in, already percent-encoded where meant to be. */
  url: string;
  /** The operation's path template, for reports. */
  template: string;
  /** Undefined: no body at all. */
  body?: { contentType: string; data: string | Buffer };
  headers: Record<string, string>;
  /** A path parameter names another tenant's resource: the answer must not tell it exists. */
  foreign: boolean;
}

/** Values other tenants own and values the caller owns, by path parameter name. */
export interface FuzzTargets {
  own: Record<string, string[]>;
  foreign: Record<string, string[]>;
}

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        jsonBody: json ? resolve(doc, json) : null,
        binaryBody: !json && Object.keys(content).length > 0,
      });
    }
  }
  return operations;
}

function resolve(doc: OpenApiDocument, schema: OpenApiSchema): OpenApiSchema {
  if (schema.$ref) {
    const name = schema.$ref.split('/').pop()!;
    return resolve(doc, doc.components?.schemas?.[name] ?? {});
  }
  if (schema.allOf) {
    const parts = schema.allOf.map((part) => resolve(doc, part));
    return { type: 'object', properties: Object.assign({}, ...parts.map((part) => part.properties ?? {})) };
  }
  return schema;
}

const HUGE_AND_NEGATIVE = [-1, -(2 ** 31) - 1, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, 1.5, 0];
const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '😀'.repeat(2000),
  '\u202eevil',
  '\ud800',
  'ﬀ̈́',
  'x'.repeat(100_000),
  '../../etc/passwd',
  '%00',
  "'; DROP TABLE apps; --",
  '{"$ne":null}',
  'NaN',
  '-0',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function oddValue(random: () => number, depth = 0): unknown {
  const kind = random();
  if (kind < 0.3) return pick(random, HUGE_AND_NEGATIVE);
  if (kind < 0.65) return pick(random, ODD_STRINGS);
  if (kind < 0.75) return pick(random, [true, false, null]);
  if (kind < 0.85) return depth > 1 ? [] : [oddValue(random, depth + 1)];
  return depth > 1 ? {} : { [pick(random, ['a', '__proto__', 'constructor'])]: oddValue(random, depth + 1) };
}

/** A body for a JSON schema: each property omitted, kept type-shaped or replaced by an odd value; extras. */
function fuzzBody(random: () => number, schema: OpenApiSchema): unknown {
  const roll = random();
  if (roll < 0.08) return undefined;
  if (roll < 0.16) return pick(random, [null, [], 'text', 12, true]);
  const body: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const choice = random();
    if (choice < 0.2) continue;
    if (choice < 0.35 && property.enum?.length) body[name] = pick(random, property.enum);
    else if (choice < 0.45 && property.type === 'object')
      body[name] = { [pick(random, ['A', 'PORT', '1X', 'a-b', 'BERTH_Z', '😀'])]: oddValue(random) };
    else body[name] = oddValue(random);
  }
  if (random() < 0.3)
    body[pick(random, ['unknownField', 'isOperator', 'tenantId', '__proto__'])] = oddValue(random);
  return body;
}

const ODD_PATH_VALUES = [
  '-1',
  '0',
  '2147483648',
  '99999999999999999999',
  '1.5',
  '1e9',
  'null',
  '%ZZ',
  '%00',
  '..',
  '😀'.repeat(50),
  'x'.repeat(2000),
  'ÄPP',
];
const ODD_QUERY_VALUES = [
  '-1',
  '2147483648',
  '99999999999999999999',
  '1e308',
  'abc',
  '',
  'null',
  '[]',
  '😀'.repeat(300),
  'x'.repeat(5000),
  '2026-13-45T99:99:99Z',
  '\u0000',
];

function pathValue(
  random: () => number,
  name: string,
  targets: FuzzTargets,
): { value: string; foreign: boolean } {
  const roll = random();
  const foreign = targets.foreign[name];
  if (foreign?.length && roll < 0.25)
    return { value: encodeURIComponent(pick(random, foreign)), foreign: true };
  const own = targets.own[name];
  if (own?.length && roll < 0.55) return { value: encodeURIComponent(pick(random, own)), foreign: false };
  const odd = pick(random, ODD_PATH_VALUES);
  // '%ZZ' and '%00' go as they are: a broken and a NUL percent-escape.
  return { value: odd.startsWith('%') ? odd : encodeURIComponent(odd), foreign: false };
}

export function fuzzRequests(
  operations: Operation[],
  targets: FuzzTargets,
  options: { seed: number; perOperation: number },
): FuzzRequest[] {
  const random = mulberry32(options.seed);
  const requests: FuzzRequest[] = [];
  for (const op of operations) {
    for (let i = 0; i < options.perOperation; i++) {
      let foreign = false;
      let url = op.path.replace(/\{([^}]+)\}/g, (_match, name: string) => {
        const chosen = pathValue(random, name, targets);
        foreign ||= chosen.foreign;
        return chosen.value;
      });
      const query = op.parameters
        .filter((parameter) => parameter.in === 'query' && random() < 0.6)
        .flatMap((parameter) => {
          const values =
            random() < 0.15
              ? [pick(random, ODD_QUERY_VALUES), pick(random, ODD_QUERY_VALUES)]
              : [pick(random, ODD_QUERY_VALUES)];
          return values.map((value) => `${encodeURIComponent(parameter.name)}=${encodeURIComponent(value)}`);
        });
      if (random() < 0.2) query.push(`unknown=${encodeURIComponent(pick(random, ODD_QUERY_VALUES))}`);
      if (query.length > 0) url += `?${query.join('&')}`;
      const headers: Record<string, string> = {};
      if (
        op.parameters.some((parameter) => parameter.name.toLowerCase() === 'idempotency-key') &&
        random() < 0.5
      ) {
        headers['Idempotency-Key'] = pick(random, ['', 'k'.repeat(500), 'ünïcode', '\t']).replace(
          /[^\t\x20-\x7e]/g,
          '?',
        );
      }
      let body: FuzzRequest['body'];
      if (op.jsonBody) {
        const data = fuzzBody(random, op.jsonBody);
        if (data !== undefined) body = { contentType: 'application/json', data: JSON.stringify(data) };
      } else if (op.binaryBody) {
        // Bad bodies only: never a real archive, so no build starts (a build would cost minutes per request).
        const size = pick(random, [0, 1, 100, 70_000]);
        const bytes = Buffer.alloc(size, 0);
        for (let b = 0; b < size; b++) bytes[b] = Math.floor(random() * 256);
        if (size > 0) bytes[0] = 0x78; // never gzip's (1f 8b) or zip's (50 4b) magic
        body = {
          contentType: pick(random, [
            'application/gzip',
            'application/zip',
            'application/octet-stream',
            'multipart/form-data; boundary=x',
            'text/plain',
          ]),
          data: bytes,
        };
      } else if (random() < 0.15) {
        body = { contentType: 'application/json', data: JSON.stringify({ unexpected: oddValue(random) }) };
      }
      requests.push({ method: op.method, url, template: op.path, body, headers, foreign });
    }
  }
  return requests;
}
