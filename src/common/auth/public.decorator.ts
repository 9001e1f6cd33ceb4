import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'secureauth:isPublic';

/** Opts a route out of the global deny-by-default authentication guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
