import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import type { UserViewDto } from './dto/user-view.dto';
import { User } from './user.entity';

@Injectable()
export class UsersService {
  constructor(private readonly em: EntityManager) {}

  findById(tenantId: string, id: string): Promise<User | null> {
    return this.em.findOne(User, { id, tenantId });
  }

  findByEmail(tenantId: string, email: string): Promise<User | null> {
    return this.em.findOne(User, { tenantId, email: email.toLowerCase() });
  }

  findByPhone(tenantId: string, phone: string): Promise<User | null> {
    return this.em.findOne(User, { tenantId, phone });
  }

  toView(user: User): UserViewDto {
    return {
      id: user.id,
      tenantId: user.tenantId,
      email: user.email,
      emailVerified: user.emailVerifiedAt !== null,
      phone: user.phone,
      phoneVerified: user.phoneVerifiedAt !== null,
      roles: user.roles,
      status: user.status,
      profile: { firstName: user.firstName, lastName: user.lastName },
      mfaEnabled: user.isMfaEnabled,
      createdAt: user.createdAt.toISOString(),
    };
  }
}
