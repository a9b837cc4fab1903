import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { type Principal, UsersService } from '../../../../libs/identity/index.js';
import { Authorize, CurrentPrincipal } from '../auth/authorization.js';
import { ChangeRoleRequest, InvitationView, InviteRequest, MeView, UserView } from './identity.dto.js';

@ApiTags('users')
@Controller('v1')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Authorize()
  @ApiOperation({ summary: 'The caller: user (or API key), tenant and effective permissions' })
  @ApiOkResponse({ type: MeView })
  async me(@CurrentPrincipal() principal: Principal): Promise<MeView> {
    return MeView.of(principal, () => this.users.me(principal));
  }

  @Get('users')
  @Authorize('users:manage')
  @ApiOperation({ summary: "List the tenant's users" })
  @ApiOkResponse({ type: UserView, isArray: true })
  async list(@CurrentPrincipal() principal: Principal): Promise<UserView[]> {
    return (await this.users.list(principal)).map(UserView.from);
  }

  @Post('invitations')
  @Authorize('users:manage')
  @ApiOperation({ summary: 'Invite someone into the tenant with a role (owners and admins)' })
  @ApiCreatedResponse({ type: InvitationView })
  async invite(
    @CurrentPrincipal() principal: Principal,
    @Body() body: InviteRequest,
  ): Promise<InvitationView> {
    return InvitationView.from(await this.users.invite(principal, body));
  }

  @Patch('users/:id')
  @Authorize('users:manage')
  @ApiOperation({ summary: "Change a user's role (only owners grant or remove the owner role)" })
  @ApiOkResponse({ type: UserView })
  @ApiNotFoundResponse({ description: 'No such user in this tenant' })
  async changeRole(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ChangeRoleRequest,
  ): Promise<UserView> {
    return UserView.from(await this.users.changeRole(principal, id, body.role));
  }

  @Delete('users/:id')
  @Authorize('users:manage')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a user from the tenant (the last owner cannot be removed)' })
  @ApiNotFoundResponse({ description: 'No such user in this tenant' })
  async remove(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<void> {
    await this.users.remove(principal, id);
  }
}
