import { Migrator } from '@mikro-orm/migrations';
import { createOrmOptions } from './mikro-orm.config';

/** What `npx mikro-orm` (package.json "mikro-orm".configPaths) loads: the app's options plus the migrator. */
export default { ...createOrmOptions(), extensions: [Migrator] };
