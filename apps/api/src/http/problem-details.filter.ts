import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ProblemError } from '../../../../libs/errors/index.js';
import { QuotaRefusalEvents } from './quota-refusal-events.js';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  instance?: string;
  [key: string]: unknown;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/** Body-parser errors carry a `type` and a status; they are the caller's mistakes, not ours. */
interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  message?: string;
}

/**
 * Renders every error as RFC 9457 problem+json with a stable `code`; only our own bugs become 500. A
 * tenant's quota refusal is recorded as an event first (QuotaRefusalEvents).
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  constructor(private readonly quotaRefusals: QuotaRefusalEvents) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const response = host.switchToHttp().getResponse<Response>();
    const request = host.switchToHttp().getRequest<Request>();
    const recorded = this.quotaRefusals.record(exception, request);
    if (!recorded) return this.answer(exception, request, response);
    recorded
      .then(() => this.answer(exception, request, response))
      .catch((error: unknown) => {
        this.logger.error({ err: error, path: request.originalUrl?.split('?')[0] }, 'answer failed');
        if (!response.headersSent) response.status(500).end();
      });
  }

  private answer(exception: unknown, request: Request, response: Response): void {
    const { body, headers } = this.toProblem(exception);
    body.instance = request.originalUrl?.split('?')[0];
    if (body.status >= 500) {
      // The request's log line carries the same id (request-log.ts).
      const requestId = (request as Request & { id?: unknown }).id;
      this.logger.error({ err: exception, path: body.instance, requestId }, 'request failed');
    }
    if (response.headersSent) {
      response.end();
      return;
    }
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  private toProblem(exception: unknown): { body: ProblemBody; headers: Record<string, string> } {
    if (exception instanceof ProblemError) {
      return {
        body: {
          type: `https://berth.dev/problems/${exception.code}`,
          title: exception.title,
          status: exception.status,
          code: exception.code,
          ...(exception.detail ? { detail: exception.detail } : {}),
          ...exception.extensions,
        },
        headers: exception.headers,
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : String((response as { message?: unknown }).message ?? exception.message);
      const cause = exception.cause as BodyParserError | undefined;
      if (cause?.type === 'entity.parse.failed') {
        return { body: this.plain(400, 'malformed_json', 'The request body is not valid JSON'), headers: {} };
      }
      return { body: this.plain(status, CODE_BY_STATUS[status] ?? 'http_error', message), headers: {} };
    }
    const parserError = exception as BodyParserError;
    const parserStatus = parserError?.status ?? parserError?.statusCode;
    if (parserError?.type && typeof parserStatus === 'number' && parserStatus >= 400 && parserStatus < 500) {
      if (parserError.type === 'entity.parse.failed') {
        return { body: this.plain(400, 'malformed_json', 'The request body is not valid JSON'), headers: {} };
      }
      if (parserError.type === 'entity.too.large') {
        return { body: this.plain(413, 'payload_too_large', 'The request body is too large'), headers: {} };
      }
      return {
        body: this.plain(
          parserStatus,
          CODE_BY_STATUS[parserStatus] ?? 'bad_request',
          parserError.message ?? 'Bad request',
        ),
        headers: {},
      };
    }
    return {
      body: this.plain(
        HttpStatus.INTERNAL_SERVER_ERROR,
        'internal_error',
        'An unexpected error occurred; it has been logged',
      ),
      headers: {},
    };
  }

  private plain(status: number, code: string, detail: string): ProblemBody {
    const title =
      status >= 500 ? 'Internal server error' : (HttpStatus[status] ?? 'Error').toString().replace(/_/g, ' ');
    return {
      type: `https://berth.dev/problems/${code}`,
      title: title.charAt(0) + title.slice(1).toLowerCase(),
      status,
      code,
      detail,
    };
  }
}
