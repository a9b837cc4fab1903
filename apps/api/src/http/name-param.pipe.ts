import { type PipeTransform } from '@nestjs/common';
import { problems } from '../../../../libs/errors/index.js';

/**
 * A path segment that names a resource by a pattern its create enforces (an app name, a plan id). A value
 * outside the pattern names nothing that can exist, so it is "not found" here, at the edge: it never reaches
 * PostgreSQL, which refuses a NUL in text with an error that would otherwise surface as a 500.
 */
export class NameParamPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly pattern: RegExp,
    private readonly resource: string,
  ) {}

  transform(value: unknown): string {
    if (typeof value !== 'string' || !this.pattern.test(value)) throw problems.notFound(this.resource);
    return value;
  }
}
