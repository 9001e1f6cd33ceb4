import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { AuthPrincipal } from '../../common/auth/auth-principal';
import { CurrentSession } from '../../common/auth/current-session.decorator';
import { ApiErrors, Authenticated, Operation } from '../../common/http/api-docs';
import { AuditService } from './audit.service';
import { HistoryPageResponseDto, ListHistoryQueryDto } from './dto/history.dto';

@ApiTags('account')
@Controller('api/auth')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('history')
  @Authenticated()
  @Operation(
    'listHistory',
    "The caller's own security events (sign-ins, sessions, changes), newest first",
    'Sign-ins (successful and failed), sessions revoked, factors and password changes, as the audit recorded them. Keyset-paginated `{items, nextCursor}`: pass `nextCursor` back as `cursor`.',
  )
  @ApiOkResponse({ description: "A page of the caller's events, newest first", type: HistoryPageResponseDto })
  @ApiErrors('VALIDATION_FAILED')
  listHistory(@CurrentSession() auth: AuthPrincipal, @Query() query: ListHistoryQueryDto) {
    return this.audit.historyOf(auth.tenantId, auth.userId, query.limit ?? 20, query.cursor);
  }
}
