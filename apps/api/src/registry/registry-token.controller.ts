import { Controller, Get, Headers, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBasicAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { RegistryTokenService } from '../../../../libs/hosts/index.js';
import { Public } from '../auth/authorization.js';
import { RegistryTokenQuery, RegistryTokenView } from './registry-token.dto.js';

@ApiTags('registry')
@Controller('v1/registry')
export class RegistryTokenController {
  constructor(private readonly tokens: RegistryTokenService) {}

  @Get('token')
  // Not a user route: the registry's token service, with its own Basic auth (the pull or push account).
  @Public()
  @ApiBasicAuth()
  @ApiOperation({
    summary: "The image registry's token service (docker's token protocol)",
    description:
      'The registry (auth: token) sends docker clients here. Basic auth with the `berth-pull` account (pull only) or the `berth-push` account (pull and push); the token grants the requested scopes the account may have.',
  })
  @ApiOkResponse({ type: RegistryTokenView })
  @ApiUnauthorizedResponse({ description: 'No or wrong credentials (code unauthorized)' })
  @ApiBadRequestResponse({ description: 'Another service, or a malformed scope' })
  @ApiNotFoundResponse({ description: 'No registry token auth configured (code registry_token_auth_off)' })
  token(
    @Query() query: RegistryTokenQuery,
    @Headers('authorization') authorization?: string,
  ): RegistryTokenView {
    return this.tokens.issue({ authorization, service: query.service, scopes: query.scope ?? [] });
  }
}
