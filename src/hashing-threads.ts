import { startThreadpoolBelowEventLoop } from './common/crypto/threadpool-priority';
import { authConfig } from './config/auth.config';

/**
 * Imported by main.ts before the application: libuv starts its pool on first use, and loading
 * the application already uses it (bullmq does, at load), so the pool must start here.
 */
export const loweredHashingThreads = startThreadpoolBelowEventLoop(authConfig().argon2ThreadNiceness);
