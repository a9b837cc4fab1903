import { HttpStatus, RequestMethod, type INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;

const operationId = (controller: string, method: string) =>
  `${controller.replace(/Controller$/, '')}_${method}`;

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Berth API')
    .setDescription(
      'Multi-tenant container PaaS: upload Node.js code, run it as containers sized by your plan. ' +
        'Errors are RFC 9457 problem+json with a stable `code`.',
    )
    .setVersion('1')
    // Where `npm run up` serves the API; clients (the `berth` CLI, packages/client) take their own base URL.
    .addServer('http://127.0.0.1:3000', 'A local Berth started with `npm run up`')
    .addBasicAuth({ type: 'http', scheme: 'basic', description: "The image registry's pull or push account" })
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'Access JWT from /v1/auth/login, or an API key (brk_…)',
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory: operationId });
  // The repository carries no license file: say so rather than name one.
  document.info.license = { name: 'UNLICENSED (no license granted)' };
  completeOperations(document, successStatuses(app));
  return document;
}

/**
 * What generated clients need and the decorators leave out, filled in from facts rather than by hand:
 * - `security: []` on public routes. Every route is either @Public() or one of the authorization decorators,
 *   which all add the bearer scheme (route-authorization.spec.ts), so an operation without `security` is public.
 * - the success response of a handler that declares only its failures (e.g. a 204 DELETE), from @HttpCode.
 */
function completeOperations(document: OpenAPIObject, successStatus: Map<string, number>): void {
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation: Operation | undefined = item[method];
      if (!operation) continue;
      operation.security ??= [];
      const responses = operation.responses;
      if (Object.keys(responses).some((status) => status.startsWith('2'))) continue;
      const status = successStatus.get(operation.operationId ?? '') ?? (method === 'post' ? 201 : 200);
      responses[String(status)] = { description: successDescriptions[status] ?? 'Done' };
    }
  }
}

const successDescriptions: Record<number, string> = {
  202: 'Accepted: the work goes on in the background',
  204: 'Done (no body)',
};

/** operationId → the status code @HttpCode() sets, for every controller method that has one. */
function successStatuses(app: INestApplication): Map<string, number> {
  const statuses = new Map<string, number>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
      if (!prototype) continue;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
        if (typeof handler !== 'function' || name === 'constructor') continue;
        const code = Reflect.getMetadata('__httpCode__', handler) as HttpStatus | undefined;
        const requestMethod = Reflect.getMetadata('method', handler) as RequestMethod | undefined;
        if (code !== undefined && requestMethod !== undefined)
          statuses.set(operationId(wrapper.name, name), code);
      }
    }
  }
  return statuses;
}

/** Swagger UI at /docs, the raw document at /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
