import { Param } from '@nestjs/common';
import { NameParamPipe } from '../http/name-param.pipe.js';
import { APP_NAME_PATTERN } from './apps.dto.js';

/** The `:app` path parameter: an app name, or 404 before any lookup. */
export const AppNameParam = (): ParameterDecorator =>
  Param('app', new NameParamPipe(APP_NAME_PATTERN, 'app'));
