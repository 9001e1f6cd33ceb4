import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { AuthResultDto, SET_SESSION_COOKIES } from '../../sessions/dto/auth-result.dto';
import { CHALLENGE_REASONS, type ChallengeReason, MFA_METHODS, type MfaMethod } from '../mfa.types';

/** API.md POST /api/auth/login (and verify-otp): the first factor passed, a second one is due. */
export class MfaChallengeDto {
  @ApiProperty({ enum: [true], example: true })
  mfaRequired!: true;

  @ApiProperty({
    description: 'Opaque, single use, lives 5 minutes',
    example: 'q3Zk2l0m3mZ0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p',
  })
  mfaToken!: string;

  @ApiProperty({
    enum: MFA_METHODS,
    isArray: true,
    description:
      'The user\'s enabled methods that are independent of the first factor: after a sign-in by email code, not "email" (the same mailbox). May be empty when nothing independent is left: sign in with the password instead.',
    example: ['totp', 'recovery_code'],
  })
  methods!: MfaMethod[];

  @ApiPropertyOptional({
    enum: CHALLENGE_REASONS,
    description:
      'Present when the tenant asks a second factor of this sign-in although the user may not have one: `new_place` ' +
      '(a country not signed in from in 90 days, tenant setting `newPlacePolicy: "step_up"`). A user without a factor ' +
      'is then offered `email`: a code to their verified address.',
  })
  reason?: ChallengeReason;
}

/** 200 of a first-factor login: either a session, or the challenge for the second factor. */
export function ApiAuthResultOrMfaChallenge() {
  return applyDecorators(
    ApiExtraModels(AuthResultDto, MfaChallengeDto),
    ApiOkResponse({
      description: 'AuthResult (signed in), or MfaChallenge when the user has a second factor enabled',
      schema: { oneOf: [{ $ref: getSchemaPath(AuthResultDto) }, { $ref: getSchemaPath(MfaChallengeDto) }] },
      headers: SET_SESSION_COOKIES,
    }),
  );
}
