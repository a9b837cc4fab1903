import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThan, Repository } from 'typeorm';
import { AuditService } from '../audit/index.js';
import { randomToken, tokenHash } from '../crypto/index.js';
import { ProblemError, problems } from '../errors/index.js';
import { isUniqueViolation } from '../db/index.js';
import { normalizeEmail } from './auth.service.js';
import { Invitation } from './invitation.entity.js';
import { PasswordHasher } from './password-hasher.js';
import { actorOf, type Principal, type PrincipalAccount } from './permissions.js';
import { PrincipalCache } from './principal-cache.js';
import { Tenant } from './tenant.entity.js';
import { User, type Role } from './user.entity.js';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

interface MeRow {
  id: string;
  name: string;
  planId: string;
  status: Tenant['status'];
  kind: Tenant['kind'];
  createdAt: Date;
  userId: string | null;
  email: string | null;
  role: Role | null;
  isOperator: boolean | null;
  userCreatedAt: Date | null;
}

function tenantOf(principal: Principal): string {
  if (!principal.tenantId) throw problems.forbidden('Platform keys have no tenant');
  return principal.tenantId;
}

/** Only an owner may grant or take away the owner role; admins manage admins and members. */
function assertMayAssign(principal: Principal, role: Role): void {
  if (role === 'owner' && principal.role !== 'owner')
    throw problems.forbidden('Only an owner can grant the owner role');
}

@Injectable()
export class UsersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(User) private readonly users: Repository<User>,
    @InjectRepository(Invitation) private readonly invitations: Repository<Invitation>,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
    private readonly principals: PrincipalCache,
  ) {}

  /**
   * The caller's user (for a user principal) and tenant. Authentication read them with the principal and
   * caches them with it (and as fresh), so a warm request sends no statement; a principal made elsewhere
   * without them is answered with one query.
   */
  async me(principal: Principal): Promise<{
    user: PrincipalAccount['user'];
    tenant: PrincipalAccount['tenant'] | null;
    principal: Principal;
  }> {
    if (!principal.tenantId) return { user: null, tenant: null, principal };
    if (principal.account) return { ...principal.account, principal };
    const [row] = (await this.dataSource.query(
      `SELECT t.id, t.name, t.plan_id AS "planId", t.status, t.kind, t.created_at AS "createdAt",
              u.id AS "userId", u.email, u.role, u.is_operator AS "isOperator",
              u.created_at AS "userCreatedAt"
         FROM tenants t LEFT JOIN users u ON u.id = $2 AND u.tenant_id = t.id
        WHERE t.id = $1`,
      [principal.tenantId, principal.kind === 'user' ? principal.id : null],
    )) as MeRow[];
    if (!row) return { user: null, tenant: null, principal };
    const tenant = {
      id: row.id,
      name: row.name,
      planId: row.planId,
      status: row.status,
      kind: row.kind,
      createdAt: row.createdAt,
    };
    const user = row.userId
      ? {
          id: row.userId,
          tenantId: row.id,
          email: row.email!,
          role: row.role!,
          isOperator: row.isOperator!,
          createdAt: row.userCreatedAt!,
        }
      : null;
    return { user, tenant, principal };
  }

  list(principal: Principal): Promise<User[]> {
    return this.users.find({ where: { tenantId: tenantOf(principal) }, order: { createdAt: 'ASC' } });
  }

  async invite(
    principal: Principal,
    input: { email: string; role: Role },
  ): Promise<{ invitation: Invitation; token: string }> {
    const tenantId = tenantOf(principal);
    assertMayAssign(principal, input.role);
    const email = normalizeEmail(input.email);
    if (await this.users.exists({ where: { email } })) {
      throw problems.conflict('email_taken', 'An account with this email already exists');
    }
    const token = randomToken('inv');
    const invitation = await this.invitations.save(
      this.invitations.create({
        tenantId,
        email,
        role: input.role,
        tokenHash: tokenHash(token),
        invitedBy: principal.id,
        expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
      }),
    );
    await this.audit.record({
      tenantId,
      actor: actorOf(principal),
      action: 'user.invite',
      target: `invitation:${invitation.id}`,
      data: { email, role: input.role },
    });
    return { invitation, token };
  }

  /** The invitee sets a password and joins the inviting tenant with the invited role. */
  async acceptInvitation(input: { token: string; password: string }): Promise<User> {
    const passwordHash = await this.passwords.hash(input.password);
    try {
      return await this.dataSource.transaction(async (manager) => {
        const invitation = await manager.findOne(Invitation, {
          where: { tokenHash: tokenHash(input.token), acceptedAt: IsNull(), expiresAt: MoreThan(new Date()) },
          lock: { mode: 'pessimistic_write' },
        });
        if (!invitation) throw problems.notFound('invitation');
        await manager.update(Invitation, invitation.id, { acceptedAt: new Date() });
        const user = await manager.save(
          manager.create(User, {
            tenantId: invitation.tenantId,
            email: invitation.email,
            passwordHash,
            role: invitation.role,
          }),
        );
        await this.audit.record(
          {
            tenantId: invitation.tenantId,
            actor: `user:${user.id}`,
            action: 'user.join',
            target: `user:${user.id}`,
          },
          manager,
        );
        return user;
      });
    } catch (err) {
      if (isUniqueViolation(err))
        throw problems.conflict('email_taken', 'An account with this email already exists');
      throw err;
    }
  }

  async changeRole(principal: Principal, userId: string, role: Role): Promise<User> {
    const tenantId = tenantOf(principal);
    const changed = await this.dataSource.transaction(async (manager) => {
      const user = await manager.findOne(User, {
        where: { id: userId, tenantId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!user) throw problems.notFound('user', userId);
      assertMayAssign(principal, role);
      if (user.role === 'owner') assertMayAssign(principal, 'owner');
      if (user.role === 'owner' && role !== 'owner')
        await this.assertAnotherOwner(manager.getRepository(User), user);
      await manager.update(User, user.id, { role });
      await this.audit.record(
        {
          tenantId,
          actor: actorOf(principal),
          action: 'user.role',
          target: `user:${user.id}`,
          data: { from: user.role, to: role },
        },
        manager,
      );
      return { ...user, role };
    });
    this.principals.forget();
    return changed;
  }

  async remove(principal: Principal, userId: string): Promise<void> {
    const tenantId = tenantOf(principal);
    await this.dataSource.transaction(async (manager) => {
      const user = await manager.findOne(User, {
        where: { id: userId, tenantId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!user) throw problems.notFound('user', userId);
      if (user.role === 'owner') {
        assertMayAssign(principal, 'owner');
        await this.assertAnotherOwner(manager.getRepository(User), user);
      }
      await manager.delete(User, user.id);
      await this.audit.record(
        { tenantId, actor: actorOf(principal), action: 'user.remove', target: `user:${user.id}` },
        manager,
      );
    });
    this.principals.forget();
  }

  private async assertAnotherOwner(users: Repository<User>, leaving: User): Promise<void> {
    const owners = await users.count({ where: { tenantId: leaving.tenantId, role: 'owner' } });
    if (owners <= 1) {
      throw new ProblemError(409, 'last_owner', 'Conflict', 'A tenant must keep at least one owner');
    }
  }
}
