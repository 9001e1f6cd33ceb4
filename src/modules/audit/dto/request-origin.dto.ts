import { ApiProperty } from '@nestjs/swagger';

/** Where a request came from, as an audit event keeps it (history items and the admin view alike). */
export class RequestOriginDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'GB',
    description: 'ISO 3166-1 alpha-2 of the request (GEOIP_DB_PATH)',
  })
  country!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'London' })
  city!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'MyService', description: "The app's X-Client-Name" })
  service!: string | null;
}
