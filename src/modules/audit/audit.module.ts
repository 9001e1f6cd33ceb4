import { Global, Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditRetentionService } from './audit-retention.service';
import { AuditService } from './audit.service';
import { DomainEvents } from './domain-events';

/** A leaf every module may call (STYLE.md), hence global. */
@Global()
@Module({
  controllers: [AuditController],
  providers: [AuditService, AuditRetentionService, DomainEvents],
  exports: [AuditService, AuditRetentionService, DomainEvents],
})
export class AuditModule {}
