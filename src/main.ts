import 'reflect-metadata';
import { createApp } from './bootstrap';
import { appConfig } from './config';

async function main(): Promise<void> {
  const app = await createApp();
  const { port, host } = appConfig();
  await app.listen(port, host);
}

main().catch((error: unknown) => {
  // Configuration errors name the variable; print them plainly and stop.
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
