import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiKey } from './api-key.entity.js';
import { ApiKeysService } from './api-keys.service.js';
import { AuthService } from './auth.service.js';
import { Invitation } from './invitation.entity.js';
import { OperatorBootstrap } from './operator-bootstrap.js';
import { PasswordHasher } from './password-hasher.js';
import { PrincipalCache } from './principal-cache.js';
import { RefreshToken } from './refresh-token.entity.js';
import { Tenant } from './tenant.entity.js';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [TypeOrmModule.forFeature([Tenant, User, RefreshToken, ApiKey, Invitation])],
  providers: [PasswordHasher, PrincipalCache, AuthService, UsersService, ApiKeysService, OperatorBootstrap],
  exports: [AuthService, UsersService, ApiKeysService, OperatorBootstrap, PasswordHasher],
})
export class IdentityModule {}
