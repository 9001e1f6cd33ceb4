export * from './crypto.service';
export * from './password-hasher';
export * from './semaphore';
export * from './crypto.module';
