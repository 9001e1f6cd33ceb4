import { Module } from '@nestjs/common';
import { CORE_IMPORTS } from './app.module';

/** The queue worker process: same domain modules as the API, no controllers. */
@Module({ imports: [...CORE_IMPORTS] })
export class WorkerModule {}
