import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
  ValidateIf,
} from 'class-validator';

export const OIDC_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type OidcGrantType = (typeof OIDC_GRANT_TYPES)[number];

/** POST /api/admin/oidc/clients (API.md "settled details": the create-client body). */
export class CreateOidcClientDto {
  @ApiProperty({ example: 'Grafana', maxLength: 100 })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({
    type: [String],
    example: ['https://grafana.example.com/login/generic_oauth'],
    description:
      'Matched exactly. https, or http on localhost / 127.0.0.1 / [::1] only; no fragment. Required unless the ' +
      'client only uses client_credentials.',
  })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  redirectUris!: string[];

  @ApiPropertyOptional({ type: [String], description: 'Where RP-initiated logout may send the browser back' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  postLogoutRedirectUris?: string[];

  @ApiPropertyOptional({
    enum: OIDC_GRANT_TYPES,
    isArray: true,
    default: ['authorization_code', 'refresh_token'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(OIDC_GRANT_TYPES, { each: true })
  grantTypes?: OidcGrantType[];

  @ApiPropertyOptional({ default: false, description: 'A public client (SPA, native app): no secret, PKCE only' })
  @IsOptional()
  @IsBoolean()
  public?: boolean;

  @ApiPropertyOptional({ default: false, description: 'First-party clients skip the consent page' })
  @IsOptional()
  @IsBoolean()
  firstParty?: boolean;

  @ApiPropertyOptional({ nullable: true, description: 'Receives a logout token when a session of this client ends' })
  @IsOptional()
  @ValidateIf((_object, value) => value !== null)
  @IsString()
  @MaxLength(2000)
  backchannelLogoutUri?: string | null;
}

/** PATCH /api/admin/oidc/clients/:clientId: any of the create fields but `public` (a secret cannot appear or vanish). */
export class UpdateOidcClientDto extends PartialType(OmitType(CreateOidcClientDto, ['public'] as const)) {}

export class OidcClientDto {
  @ApiProperty({ example: 'sa_4Jx0v2bYx7cJ3q9sQwZr1A' })
  clientId!: string;

  @ApiProperty({ example: 'Grafana' })
  name!: string;

  @ApiProperty({ type: [String] })
  redirectUris!: string[];

  @ApiProperty({ type: [String] })
  postLogoutRedirectUris!: string[];

  @ApiProperty({ enum: OIDC_GRANT_TYPES, isArray: true })
  grantTypes!: OidcGrantType[];

  @ApiProperty()
  public!: boolean;

  @ApiProperty()
  firstParty!: boolean;

  @ApiProperty({ type: String, nullable: true })
  backchannelLogoutUri!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class CreatedOidcClientDto extends OidcClientDto {
  @ApiPropertyOptional({ description: 'Confidential clients only; shown this once, stored hashed' })
  clientSecret?: string;
}

export class OidcClientSecretDto {
  @ApiProperty({ description: 'Shown this once, stored hashed; the previous secret no longer works' })
  clientSecret!: string;
}

export class OidcClientPageDto {
  @ApiProperty({ type: [OidcClientDto] })
  items!: OidcClientDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor!: string | null;
}
