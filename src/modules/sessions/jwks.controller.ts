import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Public } from '../../common/auth/public.decorator';
import { ApiErrors, Operation } from '../../common/http/api-docs';
import { SigningKeysService } from './signing-keys.service';

export class JwkDto {
  @ApiProperty({ example: 'EC' })
  kty!: string;

  @ApiProperty({ example: 'P-256' })
  crv!: string;

  @ApiProperty({ example: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU' })
  x!: string;

  @ApiProperty({ example: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' })
  y!: string;

  @ApiProperty({ example: '6f1c2a40-0b8e-4a8e-9d0c-1f0a8b9c7d6e' })
  kid!: string;

  @ApiProperty({ example: 'ES256' })
  alg!: string;

  @ApiProperty({ example: 'sig' })
  use!: string;
}

export class JwksResponseDto {
  @ApiProperty({ type: [JwkDto] })
  keys!: JwkDto[];
}

@ApiTags('sessions')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeysService) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=60')
  @Operation(
    'getJwks',
    'The public keys that verify access tokens (active and recently retired)',
    "JSON Web Key Set (RFC 7517) of the ES256 keys: verify an access token with the key whose `kid` matches the token's header. Retired keys stay listed until the tokens they signed have expired; cache by `Cache-Control`.",
  )
  @ApiOkResponse({ description: 'The public keys, as a JWK Set', type: JwksResponseDto })
  @ApiErrors()
  getJwks(): JwksResponseDto {
    return { keys: this.keys.publishedKeys() as JwkDto[] };
  }
}
