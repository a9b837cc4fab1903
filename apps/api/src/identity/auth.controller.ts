import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AuthService, UsersService } from '../../../../libs/identity/index.js';
import { Public } from '../auth/authorization.js';
import {
  AcceptInvitationRequest,
  LoginRequest,
  RefreshRequest,
  SignupRequest,
  SignupView,
  TokenPairView,
  UserView,
} from './identity.dto.js';

@ApiTags('auth')
@Controller('v1/auth')
@ApiTooManyRequestsResponse({
  description: 'Rate limited per address (problem+json, code rate_limited)',
})
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('signup')
  @Public()
  @ApiOperation({ summary: 'Create a tenant on the default plan and its owner' })
  @ApiCreatedResponse({ type: SignupView })
  @ApiConflictResponse({ description: 'Email already registered (code email_taken)' })
  async signup(@Body() body: SignupRequest): Promise<SignupView> {
    return SignupView.from(await this.auth.signup(body));
  }

  @Post('login')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Exchange email and password for an access token (15 min) and a refresh token' })
  @ApiOkResponse({ type: TokenPairView })
  @ApiUnauthorizedResponse({
    description:
      'Unknown email, wrong password, or this (account, address) pair must wait: one answer (code unauthorized), with Retry-After while waiting',
  })
  async login(@Body() body: LoginRequest, @Ip() address: string): Promise<TokenPairView> {
    return TokenPairView.from(await this.auth.login({ ...body, address }));
  }

  @Post('refresh')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate a refresh token; reusing an old one revokes the whole session family' })
  @ApiOkResponse({ type: TokenPairView })
  async refresh(@Body() body: RefreshRequest): Promise<TokenPairView> {
    return TokenPairView.from(await this.auth.refresh(body.refreshToken));
  }

  @Post('logout')
  @Public()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke the refresh token and every token rotated from the same login' })
  async logout(@Body() body: RefreshRequest): Promise<void> {
    await this.auth.logout(body.refreshToken);
  }

  @Post('accept-invitation')
  @Public()
  @ApiOperation({ summary: 'Join a tenant with an invitation token and choose a password' })
  @ApiCreatedResponse({ type: UserView })
  async acceptInvitation(@Body() body: AcceptInvitationRequest): Promise<UserView> {
    return UserView.from(await this.users.acceptInvitation(body));
  }
}
