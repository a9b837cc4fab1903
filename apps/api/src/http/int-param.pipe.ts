import { type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { problems } from '../../../../libs/errors/index.js';

/** The largest value of a PostgreSQL `integer`: a bigger one fails in the database, as a 500. */
export const MAX_INT32 = 2 ** 31 - 1;

/**
 * A path or query integer, checked at the edge: decimal digits only and within [min, max] (by default the
 * range of the `integer` columns it is compared with). Anything else is a 400 validation_failed naming it.
 */
export class IntParamPipe implements PipeTransform<unknown, number> {
  constructor(private readonly options: { min?: number; max?: number; default?: number } = {}) {}

  transform(value: unknown, metadata: ArgumentMetadata): number {
    const min = this.options.min ?? 0;
    const max = this.options.max ?? MAX_INT32;
    const field = metadata.data ?? 'parameter';
    if ((value === undefined || value === '') && this.options.default !== undefined)
      return this.options.default;
    // The global ValidationPipe may already have turned a path parameter typed `number` into one.
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^-?\d{1,16}$/.test(value)
          ? Number(value)
          : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw problems.validation([{ field, message: `${field} must be an integer from ${min} to ${max}` }]);
    }
    return number;
  }
}
