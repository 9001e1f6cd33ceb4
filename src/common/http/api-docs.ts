import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ERROR_CODES as ERROR_CODES_ORDER, ERROR_MESSAGES, ERROR_STATUS, type ErrorCode } from '../errors/error-codes';

export class ErrorDetailDto {
  @ApiProperty({ example: 'email' })
  field!: string;

  @ApiProperty({ example: 'must be an email' })
  message!: string;
}

export class ErrorResponseDto {
  @ApiProperty({ type: 'integer', example: 400, description: 'The HTTP status, repeated' })
  statusCode!: number;

  @ApiProperty({
    type: 'string',
    example: 'VALIDATION_FAILED',
    description: "Stable error code (API.md); each operation's responses list the codes it can give",
  })
  code!: ErrorCode;

  @ApiProperty({ example: 'Validation failed', description: 'What went wrong and, where it helps, what to do' })
  error!: string;

  @ApiProperty({ example: '5b8f0c1e-3f0e-4c55-9d0e-2f1c6f7c9a10' })
  requestId!: string;

  @ApiPropertyOptional({
    type: [ErrorDetailDto],
    description: 'Per field, for VALIDATION_FAILED and PASSWORD_BREACHED',
  })
  details?: ErrorDetailDto[];
}

/**
 * Errors any route can give, whatever it does: declared once under components.responses
 * (openapi-document.ts), not in each operation.
 */
const ALWAYS: ErrorCode[] = ['TOO_MANY_REQUESTS', 'SERVICE_UNAVAILABLE', 'INTERNAL'];

const ERROR_CODES = 'secureauth:documentedErrorCodes';

function errorResponses(codes: ErrorCode[]) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, group]) =>
      ApiResponse({
        status,
        description: group.map((code) => `\`${code}\`: ${ERROR_MESSAGES[code]}`).join('; '),
        content: {
          'application/json': {
            // The shared shape, with `code` narrowed to what this operation can answer with this status.
            schema: {
              allOf: [
                { $ref: getSchemaPath(ErrorResponseDto) },
                { type: 'object', properties: { code: { type: 'string', enum: group } } },
              ],
            },
            examples: Object.fromEntries(
              group.map((code) => [
                code,
                {
                  value: {
                    statusCode: status,
                    code,
                    error: ERROR_MESSAGES[code],
                    requestId: '5b8f0c1e-3f0e-4c55-9d0e-2f1c6f7c9a10',
                    ...(code === 'VALIDATION_FAILED'
                      ? { details: [{ field: 'email', message: 'must be an email' }] }
                      : {}),
                    ...(code === 'PASSWORD_BREACHED'
                      ? {
                          details: [
                            { field: 'password', message: 'appears in a known data breach; choose another password' },
                          ],
                        }
                      : {}),
                  },
                },
              ]),
            ),
          },
        },
      }),
    );
}

/**
 * Documents every error a route can answer, grouped by status, one example per code, so
 * generated clients see the exact shape of API.md. Calls accumulate: the guards' own
 * decorators (@Authenticated, @RequireRecentAuth, @RequirePermissions) add the errors they
 * raise, and a route adds its own, without one overwriting the other's status entries.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor?.value ?? target) as object;
    const documented = (Reflect.getMetadata(ERROR_CODES, holder) as ErrorCode[] | undefined) ?? [];
    const merged = ERROR_CODES_ORDER.filter(
      (code) => (documented.includes(code) || codes.includes(code)) && !ALWAYS.includes(code),
    );
    Reflect.defineMetadata(ERROR_CODES, merged, holder);
    // Re-emitting the union replaces each status entry with the complete list for that status.
    applyDecorators(ApiExtraModels(ErrorResponseDto), ...errorResponses(merged))(
      target,
      key as string,
      descriptor as PropertyDescriptor,
    );
  };
}

export const TENANT_HEADER_DOC = ApiHeader({
  name: 'X-Tenant-Id',
  required: false,
  description: 'Tenant of the caller; absent means `default`.',
});

/**
 * operationId, summary and description in one place, so the handler name and the operationId
 * never drift. The description says what a caller must know beyond the summary.
 */
export function Operation(operationId: string, summary: string, description: string) {
  return applyDecorators(ApiOperation({ operationId, summary, description }), TENANT_HEADER_DOC);
}

/** The security scheme of the refresh cookie (declared in openapi-document.ts), for the routes that read it. */
export const REFRESH_COOKIE_SCHEME = 'refresh-cookie';

export const IS_AUTHENTICATED = 'secureauth:isAuthenticated';

/**
 * Marks a route as needing a live session and documents it as such, with the errors the global
 * guard gives: one decorator for both, so enforcement and docs cannot drift. The guard reads this
 * metadata, and the app refuses to boot when a route has neither it nor @Public() (RouteAccessCheck).
 */
export function Authenticated() {
  return applyDecorators(
    SetMetadata(IS_AUTHENTICATED, true),
    ApiBearerAuth('bearer'),
    ApiCookieAuth('access-cookie'),
    ApiErrors('UNAUTHORIZED', 'TOKEN_EXPIRED', 'TENANT_UNKNOWN'),
  );
}
